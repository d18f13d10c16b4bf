/**
 * The lease errors and logs name the execution by its key only. They were built from whole journal
 * records, so a LEASE_HELD ErrorDetail carried the request and snapshot as objects in `context` (not
 * the `Record<string, string>` the schema demands — the CLI's `--json` error object failed
 * validation), and the takeover warning logged the whole record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createActionExecutor } from '../src/execution/executor.ts';
import { requestHash, toStoredRequest } from '../src/execution/request-identity.ts';
import { ActionExecuteRequestSchema } from '../src/schemas/job.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { createLogger } from '../src/support/logger.ts';
import { MACHINE_VERSION } from '../machines/action-execution.ts';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { rejectedActionError } from './support/thrown.ts';

let api: ScriptedApi;
let dir: string;
beforeEach(async () => {
  api = await startScriptedApi();
  dir = mkdtempSync(join(tmpdir(), 'ae-lease-detail-'));
  mkdirSync(join(dir, 'state'));
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = () => ActionExecuteRequestSchema.parse(executeRequest('get_user', 'get-user', { userId: 'u_1' }));

describe('lease errors and logs carry the execution key, not the record', () => {
  it('a LEASE_HELD error is a schema-valid ErrorDetail whose context names the execution and the holder', async () => {
    api.script('GET /users/u_1', [{ status: 200, hang: true }]);
    const def = definition(api.url, { endpoint: { url: `${api.url}/users/{userId}`, method: 'GET', headers: {}, timeout: 10_000 } });
    const holder = createActionExecutor({ db: join(dir, 'state/j.db'), storage: join(dir, 'state/s'), definitions: [def] });
    const other = createActionExecutor({ db: join(dir, 'state/j.db'), storage: join(dir, 'state/s'), definitions: [def] });
    const arrived = new Promise<void>((resolve) => (api.onRequest = () => resolve()));
    const held = holder.execute(request()).catch(() => undefined);
    try {
      await arrived; // the holder's attempt is in flight, under its lease
      const error = await rejectedActionError(other.execute(request()));
      expect(ErrorDetailSchema.parse(error.detail)).toMatchObject({ code: 'LEASE_HELD' });
      expect(Object.keys(error.detail.context).filter((k) => k !== 'waitedMs').sort()).toEqual(['actionId', 'executionId', 'expiresAt', 'holderHost', 'holderPid']);
    } finally {
      await holder.cancel(EXEC_ID, 'get_user');
      await held;
      await other.close();
      await holder.close();
    }
  });

  it('the takeover warning logs the key and the previous owner only', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    const dbPath = join(dir, 'state/j.db');
    const crashed = openSqliteJournal(dbPath, { ownerId: 'crashed-owner' });
    const parsed = request();
    await crashed.commit(
      { executionId: EXEC_ID, actionId: 'get_user' },
      [{ type: 'create', definitionId: 'get-user', requestHash: requestHash(parsed), request: toStoredRequest(parsed), definition: definition(api.url), machineVersion: MACHINE_VERSION, stateValue: 'created', snapshot: null, leaseTtlMs: 60_000 }],
      null,
      Date.now(),
    );
    await crashed.close(); // its owner lock is gone: the lease is provably orphaned
    const records: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        records.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const executor = createActionExecutor({ db: dbPath, storage: join(dir, 'state/s'), definitions: [definition(api.url)], logger: createLogger({ level: 'warn', destination }) });
    try {
      expect((await executor.execute(parsed)).status).toBe('completed');
    } finally {
      await executor.close();
    }
    const takeover = records.find((r) => String(r['msg']).startsWith('took over the lease'));
    expect(Object.keys(takeover ?? {}).sort()).toEqual(['actionId', 'executionId', 'level', 'msg', 'previousOwner', 'time']);
  });
});
