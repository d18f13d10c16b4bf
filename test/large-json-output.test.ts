/**
 * Issue 13 item 7: a JSON body over the inline limit streams to storage, and is still JSON. It is read
 * back from storage (bounded by `maxMappedBodyBytes`), validated against outputSchema (EXEC-010 at
 * any size) and mapped to output fields as a small body is; the journal keeps the body as a location
 * and the output record within the inline limit, so it does not grow with the body.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, EXEC_ID, type Harness } from './support/executor-harness.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { withTestHooks } from '../src/execution/test-hooks.ts';
import { InfrastructureError } from '../src/failure/errors.ts';

let api: ScriptedApi;
let h: Harness | undefined;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await api.close();
});

const MiB = 1024 * 1024;
/** `{"id":"b","data":"xxx…"}` of about `size` bytes. */
const bigBody = (size: number, extra: Record<string, unknown> = {}) => ({ id: 'b', ...extra, data: 'x'.repeat(size) });
const request = () => executeRequest('get_user', 'get-user', { userId: 'u_1' });

/** Bytes of text the journal holds across every table (what "the journal grows by" means). */
function journalBytes(h: Harness): number {
  const { db } = h.executor.journal as SqliteJournal;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  let total = 0;
  for (const table of tables) {
    for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
      for (const value of Object.values(row)) total += typeof value === 'string' ? Buffer.byteLength(value) : 8;
    }
  }
  return total;
}

describe('large JSON responses (issue 13 item 7)', () => {
  it('EXEC-010 at any size: a 2 MiB application/json body is validated against outputSchema {"id":"string"} and completes with id', async () => {
    h = createHarness([definition(api.url, { outputSchema: { id: 'string' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB) }]);
    const state = await h.executor.execute(request());
    expect(state.result).toMatchObject({ status: 'success', output: { id: 'b' } });
  });

  it('a field the schema requires that the large body lacks is OUTPUT_INVALID naming it — not "the response body was empty"', async () => {
    h = createHarness([definition(api.url, { outputSchema: { id: 'string', email: 'string' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB) }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(state.result)}`);
    expect(state.result.error).toMatchObject({ category: 'validation_failed', code: 'OUTPUT_INVALID', context: { missing: 'email' } });
    expect(state.result.error.message).not.toContain('empty');
  });

  it('without an outputSchema it maps to output fields as a small body does, keeping its content type; the field too large for the journal stays in storage, named', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB, { count: 3, tags: ['a'] }) }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
    // Fields as a small body gives them: strings as-is, other values as JSON text.
    expect(state.result.output).toEqual({ id: 'b', count: '3', tags: '["a"]' });
    const location = state.result.outputLocation;
    expect(location.contentType).toBe('application/json');
    expect(location.metadata).toMatchObject({ omittedOutputFields: '["data"]' });
    // The whole body is at the location, byte for byte.
    const stored = JSON.parse(readFileSync(location.path, 'utf8')) as { data: string };
    expect(stored.data).toHaveLength(2 * MiB);
    expect(statSync(location.path).size).toBe(location.size);
  });

  it('the journal does not grow by the body: it keeps the body as a location and the output within the inline limit', async () => {
    h = createHarness([definition(api.url, { outputSchema: { id: 'string' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(4 * MiB) }]);
    const state = await h.executor.execute(request());
    expect(state.status).toBe('completed');
    expect(journalBytes(h)).toBeLessThan(256 * 1024);
    const attempt = await h.executor.journal.getAttempt({ executionId: EXEC_ID, actionId: 'get_user' }, 1);
    expect(attempt?.outcome).toMatchObject({ body: { kind: 'json', location: { size: state.result?.status === 'success' ? state.result.outputLocation.size : -1 } } });
    // Only the trace's short preview of the body is inline.
    expect(JSON.stringify(attempt?.outcome).length).toBeLessThan(16 * 1024);
  });

  it('declared outputSchema fields are kept first when the record must be cut to the inline limit', async () => {
    h = createHarness([definition(api.url, { outputSchema: { note: 'string' } })], { inlineBodyLimit: 64 * 1024 });
    // Two fields of 40 KiB: only one fits in 64 KiB; the declared one wins although it comes last.
    api.script('GET /users/u_1', [{ status: 200, body: { first: 'a'.repeat(40 * 1024), note: 'n'.repeat(40 * 1024), small: 's' } }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
    expect(Object.keys(state.result.output).sort()).toEqual(['note', 'small']);
    expect(state.result.outputLocation.metadata['omittedOutputFields']).toBe('["first"]');
  });

  it('a crash after classification (storing journaled, not done): the resumed store still names the fields left out', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB) }]);
    const crashing = h.reopen(
      withTestHooks({}, {
        faultHook: (point) => {
          if (point === 'transition:storing') throw new InfrastructureError('simulated crash after the storing transition was journaled');
        },
      }),
    );
    await expect(crashing.execute(request())).rejects.toThrow('simulated crash');
    const state = await h.reopen().resume(EXEC_ID, 'get_user');
    if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
    expect(state.result.output).toEqual({ id: 'b' });
    expect(state.result.outputLocation.metadata['omittedOutputFields']).toBe('["data"]');
    expect(api.hits).toHaveLength(1);
  });

  it('broken JSON streamed to storage is INVALID_JSON with its position, as a small body would be', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, raw: `{"id":"b","data":"${'x'.repeat(2 * MiB)}"`, headers: { 'content-type': 'application/json' } }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(state.result)}`);
    expect(state.result.error).toMatchObject({ category: 'api_response_malformed', code: 'INVALID_JSON', context: { contentType: 'application/json' } });
  });

  it('over maxMappedBodyBytes: with an outputSchema it fails plainly as too large to map (not "empty"); without one it completes with the stored-body descriptor', async () => {
    h = createHarness([definition(api.url, { outputSchema: { id: 'string' } })], { maxMappedBodyBytes: 1536 * 1024 });
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB) }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(state.result)}`);
    expect(state.result.error).toMatchObject({ category: 'validation_failed', code: 'OUTPUT_TOO_LARGE', context: { maxMappedBodyBytes: String(1536 * 1024) } });
    expect(state.result.error.message).toContain('too large to map');
    expect(state.result.error.message).not.toContain('empty');

    const plain = h.reopen({ definitions: [definition(api.url)] });
    const other = await plain.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, '7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5c'));
    if (other.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(other.result)}`);
    expect(other.result.output).toMatchObject({ encoding: 'utf-8', contentType: 'application/json', size: String(other.result.outputLocation.size) });
    expect(other.result.outputLocation.metadata['notMapped']).toContain('too large to map');
  });

  it('a stored body changed on disk before classification is caught by its checksum, not parsed', async () => {
    h = createHarness([definition(api.url, { outputSchema: { id: 'string' } })]);
    api.script('GET /users/u_1', [{ status: 200, body: bigBody(2 * MiB) }]);
    const bodyPath = join(h.storageDir, 'bodies', `${EXEC_ID}.get_user.attempt-1.body`);
    const executor = h.reopen({
      // Just before classification reads the stored body back: change it on disk.
      inspect: (event) => {
        if (event.type === '@xstate.action' && event.action.type === 'classify') writeFileSync(bodyPath, JSON.stringify(bigBody(2 * MiB, { id: 'tampered' })));
      },
    });
    const state = await executor.execute(request());
    if (state.result?.status !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(state.result)}`);
    expect(state.result.error).toMatchObject({ category: 'state_inconsistent', code: 'STORED_BODY_CORRUPT' });
  });
});
