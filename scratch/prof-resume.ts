import { startBenchServer } from '../bench/bench-server.ts';
import { runResumeBacklog } from '../bench/resume-backlog.ts';
const server = await startBenchServer();
const r = await runResumeBacklog(server, { executions: Number(process.env.N ?? 3000) });
console.log(JSON.stringify(r));
await server.close();
