/**
 * Issue 13 "deleted storage files go unnoticed": reading a completed execution back (`get`,
 * `timeline`, a resubmission returning the recorded state) verifies the stored output still exists
 * with the size and SHA-256 the journal recorded, and says so when it does not — without changing the
 * recorded result. DESIGN §6: a missing or corrupt stored file is reported, never described as stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, EXEC_ID, type Harness } from './support/executor-harness.ts';
import { createLocalStorageProvider } from '../storage/local-storage-provider.ts';
import type { ActionExecutionState } from '../src/schemas/execution-state.ts';

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

const request = () => executeRequest('get_user', 'get-user', { userId: 'u_1' });

async function completed(): Promise<{ h: Harness; state: ActionExecutionState; path: string }> {
  h = createHarness([definition(api.url)]);
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
  const state = await h.executor.execute(request());
  if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
  return { h, state, path: state.result.outputLocation.path };
}

describe('stored outputs are verified when read back', () => {
  it('an intact stored output adds no warning: get returns exactly the recorded state', async () => {
    const { h, state } = await completed();
    const again = await h.executor.get(EXEC_ID, 'get_user');
    expect(again).toEqual(state);
    expect(again).not.toHaveProperty('storageWarning');
  });

  it('a deleted output file is reported as STORED_OUTPUT_MISSING by get, timeline and a resubmission; the recorded result is unchanged', async () => {
    const { h, state, path } = await completed();
    unlinkSync(path);
    const got = await h.executor.get(EXEC_ID, 'get_user');
    expect(got?.storageWarning).toMatchObject({ code: 'STORED_OUTPUT_MISSING', path, recorded: { size: state.result?.status === 'success' ? state.result.outputLocation.size : -1 } });
    expect(got?.storageWarning?.message).toContain('no longer exists');
    expect(got?.result).toEqual(state.result);

    const timeline = await h.executor.timeline(EXEC_ID, 'get_user');
    expect(timeline?.state.storageWarning?.code).toBe('STORED_OUTPUT_MISSING');

    const resubmitted = await h.executor.execute(request());
    expect(resubmitted.storageWarning?.code).toBe('STORED_OUTPUT_MISSING');
    expect(resubmitted.result).toEqual(state.result);
    expect(api.hits).toHaveLength(1);
    // Nothing was written back: the journal's result is the one recorded at completion.
    const record = await h.executor.journal.get({ executionId: EXEC_ID, actionId: 'get_user' });
    expect(record?.result).toEqual(state);
  });

  it('an output file changed on disk is reported as STORED_OUTPUT_CORRUPT with what is there now', async () => {
    const { h, path } = await completed();
    const tampered = Buffer.from('{"id":"someone else"}');
    writeFileSync(path, tampered);
    const got = await h.executor.get(EXEC_ID, 'get_user');
    expect(got?.storageWarning).toMatchObject({
      code: 'STORED_OUTPUT_CORRUPT',
      path,
      found: { size: tampered.length, sha256: createHash('sha256').update(tampered).digest('hex') },
    });
    expect(got?.storageWarning?.message).toContain('changed');
  });

  it('a stored body that is the output (a large response) is verified too', async () => {
    h = createHarness([definition(api.url)], { inlineBodyLimit: 1024 });
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', blob: 'z'.repeat(4096) } }]);
    const state = await h.executor.execute(request());
    if (state.result?.status !== 'success') throw new Error(`expected success, got ${JSON.stringify(state.result)}`);
    expect(state.result.outputLocation.path).toContain('attempt-1.body');
    expect((await h.executor.get(EXEC_ID, 'get_user'))?.storageWarning).toBeUndefined();
    unlinkSync(state.result.outputLocation.path);
    expect((await h.executor.get(EXEC_ID, 'get_user'))?.storageWarning?.code).toBe('STORED_OUTPUT_MISSING');
  });
});

describe('local storage loadStream', () => {
  it('streams the stored bytes, and is null for an id that is not stored', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ae-load-stream-'));
    try {
      const storage = createLocalStorageProvider(root);
      const data = Buffer.alloc(300_000, 7);
      await storage.save('bodies', 'b.body', data);
      const chunks: Uint8Array[] = [];
      for await (const chunk of (await storage.loadStream('bodies', 'b.body'))!) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(1);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      expect(await storage.loadStream('bodies', 'absent.body')).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
