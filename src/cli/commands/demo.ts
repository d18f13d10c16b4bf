/**
 * `action-executor demo [--serve]`: the demo against a local API with realistic faults (src/demo/),
 * loaded only when asked for.
 */
import { defineCommand } from '../cli-command.ts';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'run the demo against a local API with realistic faults',
  usage: '',
  details:
    'Runs the example actions against a local API (503 then success, 429 with Retry-After, an HTML error\n' +
    'page, a slow endpoint, a keyed POST), SIGKILLs a payment mid-backoff and resumes it. Exit 0 only when\n' +
    'every outcome is the expected one. State lives in ./.action-executor/demo/, recreated on each run.',
  flags: [{ name: 'serve', type: 'boolean', description: 'only start the demo API on 127.0.0.1:4010 and keep it running' }],
  example: 'action-executor demo',
  async run(_positionals, flags, io) {
    const { runDemo, serveDemoApi } = await import('../../demo/demo.ts');
    return flags.serve ? serveDemoApi(io) : runDemo(io);
  },
});
