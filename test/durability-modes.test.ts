/**
 * Durability modes (issue 9, docs/storage.md): `process` survives a process crash with no fsync on the
 * hot path; `machine` fsyncs the files, their directories and every SQLite commit. Counted here by
 * spying on the one place each goes through: FileHandle.sync (files and directories) and SQLite's
 * `synchronous` pragma.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStorageProvider } from '../storage/local-storage-provider.ts';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { createActionExecutor } from '../src/execution/executor.ts';
import type { SqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { startScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest } from './support/executor-harness.ts';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-durability-'));
  dirs.push(dir);
  return dir;
};

/** Counts fsyncs of files and directories (both go through FileHandle.sync). */
async function countSyncs(): Promise<{ count: () => number }> {
  const probe = await open(__filename, 'r');
  const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const spy = vi.spyOn(prototype, 'sync');
  return { count: () => spy.mock.calls.length };
}

describe('durability modes', () => {
  it('process: a save renames atomically and fsyncs nothing; machine: the file and its directory are fsynced before the save returns', async () => {
    const syncs = await countSyncs();
    const processMode = createLocalStorageProvider(tempDir(), { durability: 'process' });
    const saved = await processMode.save('outputs', 'a.json', Buffer.from('{"a":1}'), { contentType: 'application/json' });
    expect(readFileSync(saved.path, 'utf8')).toBe('{"a":1}');
    expect(syncs.count()).toBe(0);

    const machineMode = createLocalStorageProvider(tempDir(), { durability: 'machine' });
    await machineMode.save('outputs', 'a.json', Buffer.from('{"a":1}'), { contentType: 'application/json' });
    // data file + sidecar + the directory, at least.
    expect(syncs.count()).toBeGreaterThanOrEqual(3);
    const before = syncs.count();
    await machineMode.saveStream('bodies', 'b', (async function* () {
      yield Buffer.from('x'.repeat(1000));
    })());
    expect(syncs.count()).toBeGreaterThan(before);
  });

  it('process: SQLite synchronous=NORMAL; machine: synchronous=FULL', async () => {
    const normal = openSqliteJournal(join(tempDir(), 'j.db'));
    const full = openSqliteJournal(join(tempDir(), 'j.db'), { durability: 'machine' });
    expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(full.db.pragma('synchronous', { simple: true })).toBe(2);
    await normal.close();
    await full.close();
  });

  it('the executor passes its durability to the journal and storage it opens: an action in machine mode fsyncs its files, in process mode none', async () => {
    const api = await startScriptedApi();
    try {
      api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
      const syncs = await countSyncs();
      for (const durability of ['process', 'machine'] as const) {
        const dir = tempDir();
        const executor = createActionExecutor({ db: join(dir, 'j.db'), storage: join(dir, 's'), definitions: [definition(api.url)], durability });
        const before = syncs.count();
        const state = await executor.execute(executeRequest('get_user', 'get-user', { userId: 'u_1' }, {}, crypto.randomUUID()));
        expect(state.status).toBe('completed');
        expect((executor.journal as SqliteJournal).db.pragma('synchronous', { simple: true })).toBe(durability === 'machine' ? 2 : 1);
        if (durability === 'process') expect(syncs.count() - before).toBe(0);
        else expect(syncs.count() - before).toBeGreaterThanOrEqual(2);
        await executor.close();
      }
    } finally {
      await api.close();
    }
  });
});
