/**
 * Issue 13 items 7 and "deleted storage files", with the Postgres storage provider (the fleet
 * setup, where a resume on another machine reads what the first stored): a streamed JSON body is read
 * back through `loadStream` and mapped; a deleted object and a chunk changed behind the provider are
 * reported on read-back as STORED_OUTPUT_MISSING and STORED_OUTPUT_CORRUPT.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createActionExecutor, type ActionExecutor } from '../src/execution/executor.ts';
import { createManualClock } from '../src/support/clock.ts';
import { openPostgresStorageProvider, type PostgresStorageProvider } from '../storage/postgres-storage-provider.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';

describeWithPostgres('stored outputs on the Postgres storage provider', () => {
  let database: FreshDatabase;
  let storage: PostgresStorageProvider;
  let sql: pg.Client;
  let api: ScriptedApi;
  let dir: string;
  let executor: ActionExecutor;
  beforeAll(async () => {
    database = await freshDatabase('stored-output');
    storage = await openPostgresStorageProvider({ url: database.url, chunkSize: 256 * 1024 });
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await storage?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    api = await startScriptedApi();
    dir = mkdtempSync(join(tmpdir(), 'ae-pg-output-'));
    executor = createActionExecutor({ dbPath: join(dir, 'journal.db'), storage, definitions: [definition(api.url, { outputSchema: { id: 'string' } })], clock: createManualClock(Date.UTC(2026, 0, 1), { autoAdvance: true }) });
  });
  afterEach(async () => {
    await executor.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (executionId: string) => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'b', data: 'x'.repeat(2 * 1024 * 1024) } }]);
    const state = await executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, executionId));
    if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
    return state.result.outputLocation;
  };

  it('a 2 MiB JSON body streamed to Postgres is read back, validated and mapped; a deleted object is STORED_OUTPUT_MISSING on read-back', async () => {
    const location = await run(EXEC_ID);
    expect(location).toMatchObject({ provider: 'postgres', contentType: 'application/json', metadata: { omittedOutputFields: '["data"]' } });
    expect((await executor.get(EXEC_ID, 'get_user'))?.result).toMatchObject({ output: { id: 'b' } });
    expect((await executor.get(EXEC_ID, 'get_user'))?.storageWarning).toBeUndefined();
    expect(await storage.delete('bodies', `${EXEC_ID}.get_user.attempt-1.body`)).toBe(true);
    expect((await executor.get(EXEC_ID, 'get_user'))?.storageWarning).toMatchObject({ code: 'STORED_OUTPUT_MISSING', path: location.path });
  });

  it('a chunk changed behind the provider is STORED_OUTPUT_CORRUPT on read-back', async () => {
    const executionId = '7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a60';
    await run(executionId);
    await sql.query(
      "UPDATE ae_storage_chunks SET data = overlay(data placing '\\x00ff'::bytea from 10) WHERE seq = 2 AND blob_id = (SELECT blob_id FROM ae_storage_objects WHERE collection = 'bodies' AND id = $1)",
      [`${executionId}.get_user.attempt-1.body`],
    );
    const warning = (await executor.get(executionId, 'get_user'))?.storageWarning;
    expect(warning).toMatchObject({ code: 'STORED_OUTPUT_CORRUPT' });
    expect(warning?.message).toContain('but it was changed');
  });
});
