/**
 * EXEC-020: memory stays bounded whatever the response size. A 256 MiB body is streamed from a real
 * local server through one attempt into a counting sink, while the JavaScript heap plus ArrayBuffer
 * memory (where Buffers live — heapUsed alone would miss retained chunks) is sampled on every write.
 * This is a measurement, not a timing: the attempt deadline is generous on purpose.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpAgent } from '../src/http/http-transport.ts';
import { sendAttempt } from '../src/http/http.ts';
import type { ResponseOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { recordingSink, startHttpServer, type LocalHttpServer } from './http-servers.ts';

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
const block = Buffer.alloc(MiB);
for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 3) & 0xff;

const agent = createHttpAgent();
let server: LocalHttpServer;

beforeAll(async () => {
  server = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(TOTAL) });
    let sent = 0;
    const pump = (): void => {
      while (sent < TOTAL) {
        sent += block.length;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
});
afterAll(async () => {
  await server.close();
  await agent.close();
});

const jsMemory = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

describe('bounded memory (EXEC-020)', () => {
  it('EXEC-020: a 256 MiB body streams to the sink with JS heap + ArrayBuffer growth under 64 MiB', async () => {
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = jsMemory();
    let peak = baseline;
    let writes = 0;
    const sink = recordingSink({
      onWrite: () => {
        if (++writes % 8 === 0) peak = Math.max(peak, jsMemory());
      },
    });
    const outcome = (await sendAttempt(
      { method: 'GET', url: `${server.origin}/huge.bin`, headers: {} },
      { timeoutMs: 60_000, redactor: createRedactor(), dispatcher: agent, sink },
    )) as ResponseOutcome;
    peak = Math.max(peak, jsMemory());

    expect(outcome.kind).toBe('response');
    expect(sink.bytes).toBe(TOTAL);
    expect(outcome.body.size).toBe(TOTAL);
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / MiB; i++) expected.update(block);
    expect(outcome.body.sha256).toBe(expected.digest('hex'));
    expect(outcome.body.location?.size).toBe(TOTAL);
    expect(writes).toBeGreaterThan(100);
    const growthMiB = (peak - baseline) / MiB;
    console.info(`EXEC-020: peak JS heap + ArrayBuffer growth while streaming 256 MiB: ${growthMiB.toFixed(1)} MiB over ${writes} writes`);
    expect(growthMiB).toBeLessThan(64);
  });
});
