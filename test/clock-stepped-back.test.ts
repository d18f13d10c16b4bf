/**
 * Issue 13 "a clock stepped back after a crash" (DESIGN §6 "backingOff: wait only the remaining time,
 * never more than the journaled delay from now"). A 20 s backoff is journaled with the clock at T; the
 * process dies; a resume runs with the clock at T − 1 h, where the journaled deadline lies 1 h 20 s
 * ahead. The wait is capped at the journaled delay: 20 s from the resume, not an hour. Manual clocks
 * throughout: nothing sleeps for real.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor } from '../src/execution/executor.ts';
import { createManualClock } from '../src/support/clock.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';

let api: ScriptedApi | undefined;
let dir: string | undefined;
afterEach(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;

describe('resume after the clock was stepped back', () => {
  it('a journaled 20 s backoff resumed with the clock 1 h earlier waits 20 s, not 1 h 20 s', async () => {
    api = await startScriptedApi();
    dir = mkdtempSync(join(tmpdir(), 'ae-clock-back-'));
    api.script('GET /users/u_1', [{ status: 503 }, { status: 200, body: { id: 'u_1' } }]);
    const defs = [definition(api.url, { retryPolicy: { ...definition(api.url).retryPolicy, initialDelay: 20_000, maxDelay: 60_000 } })];
    const files = { dbPath: join(dir, 'journal.db'), storageDir: join(dir, 'storage') };

    // The first process: backs off 20 s at T, then "dies" (its journal closes, releasing its owner lock).
    const before = createManualClock(T);
    const first = createActionExecutor({ ...files, definitions: defs, clock: before });
    void first.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' })).catch(() => undefined);
    await vi.waitFor(() => expect(before.pending).toEqual([T + 20_000]), { timeout: 5000, interval: 5 });
    await first.journal.close();

    // The resume: the clock now reads T − 1 h.
    const after = createManualClock(T - HOUR);
    const second = createActionExecutor({ ...files, definitions: defs, clock: after });
    try {
      const resumed = second.resume(EXEC_ID, 'get_user');
      await vi.waitFor(() => expect(after.pending).toHaveLength(1), { timeout: 5000, interval: 5 });
      expect(after.pending[0]! - after.now()).toBe(20_000);
      after.advance(20_000);
      expect(await resumed).toMatchObject({ status: 'completed', attempts: 2 });
      expect(api.hits).toHaveLength(2);
    } finally {
      after.set(T + 2 * HOUR); // whatever happened, let the run end so close() returns
      await second.close();
    }
  });
});
