/**
 * Issue 13 item 6: `resume --all` reports every row it could not resume, with the reason. Dormant
 * executions (interrupted mid-backoff) are damaged one way each — journaled by another machine
 * version, an unreadable snapshot, a request column that is not JSON, one that is JSON but no request
 * — and `resumeAll` must resume the healthy one and list each of the others in `errors` with its code
 * and a message naming it, instead of skipping it or reporting a bare TypeError.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import { createManualClock } from '../src/support/clock.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';

let api: ScriptedApi;
let dir: string;
const opened: ActionExecutor[] = [];
beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-resume-all-'));
});
afterEach(async () => {
  for (const executor of opened.splice(0)) await executor.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = {
  healthy: '00000000-0000-4000-8000-000000000001',
  version: '00000000-0000-4000-8000-000000000002',
  snapshot: '00000000-0000-4000-8000-000000000003',
  notJson: '00000000-0000-4000-8000-000000000004',
  notRequest: '00000000-0000-4000-8000-000000000005',
} as const;

function open(autoAdvance: boolean): ActionExecutor {
  const executor = createActionExecutor({
    dbPath: join(dir, 'journal.db'),
    storageDir: join(dir, 'storage'),
    definitions: [definition(api.url)],
    clock: createManualClock(Date.UTC(2026, 0, 1), { autoAdvance }),
  });
  opened.push(executor);
  return executor;
}

/** Five executions left dormant in backingOff (interrupted), four of them then damaged in the journal. */
async function dormantExecutions(): Promise<void> {
  api.script('GET /users/u_1', [{ status: 503 }]);
  const first = open(false);
  const runs = Object.values(ids).map((id) => first.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, id)).catch(() => undefined));
  await vi.waitFor(async () => expect((await first.list({ status: 'running' })).executions.filter((e) => e.state === 'backingOff')).toHaveLength(5), { timeout: 5000, interval: 5 });
  await first.interrupt('test');
  await Promise.all(runs);
  const { db } = first.journal as SqliteJournal;
  const set = (column: string, value: string, id: string) => db.prepare(`UPDATE action_executions SET ${column} = ? WHERE execution_id = ?`).run(value, id);
  set('machine_version', '1', ids.version);
  set('snapshot_json', JSON.stringify({ value: 'backingOff', context: { attempt: 'one' } }), ids.snapshot);
  set('request_json', '{"executionId": "truncat', ids.notJson);
  set('request_json', JSON.stringify({ note: 'not a request' }), ids.notRequest);
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
}

describe('resumeAll reports every execution it could not resume', () => {
  it('resumes the healthy one and lists each damaged one with its code and a message naming it', async () => {
    await dormantExecutions();
    const report = await open(true).resumeAll();
    expect(report).toMatchObject({ resumed: 1, completed: 1, failed: 0, busy: 0 });
    const byId = Object.fromEntries(report.errors.map((error) => [error.executionId, error]));
    expect(Object.keys(byId).sort()).toEqual([ids.version, ids.snapshot, ids.notJson, ids.notRequest].sort());
    expect(byId[ids.version]).toMatchObject({ actionId: 'get_user', code: 'MACHINE_VERSION_MISMATCH' });
    expect(byId[ids.snapshot]).toMatchObject({ code: 'SNAPSHOT_INVALID' });
    expect(byId[ids.notJson]).toMatchObject({ code: 'JOURNAL_CORRUPT_JSON' });
    expect(byId[ids.notRequest]).toMatchObject({ code: 'STORED_REQUEST_INVALID' });
    for (const [id, error] of Object.entries(byId)) {
      expect(error.message, id).toContain(id);
      expect(error.message, id).not.toMatch(/Cannot read properties|is not a function/);
    }
    // Nothing was recorded for the damaged ones, and their leases are free for a fixed executor.
    for (const id of [ids.version, ids.snapshot, ids.notRequest]) {
      const record = await open(true).journal.get({ executionId: id, actionId: 'get_user' });
      expect(record, id).toMatchObject({ status: 'running', lease: null, result: null });
    }
  });

  it('every entry of errors carries a code, whatever was thrown', async () => {
    await dormantExecutions();
    const report = await open(true).resumeAll({ concurrency: 1 });
    expect(report.errors).toHaveLength(4);
    for (const error of report.errors) expect(error.code, error.message).toMatch(/^[A-Z_]+$/);
  });
});
