/**
 * The asynchronous way to create an executor (DESIGN §8), needed for a PostgreSQL journal: opening
 * one connects, migrates and takes the owner's advisory lock, none of which can happen inside the
 * synchronous `createActionExecutor`. It accepts everything `createActionExecutor` does, opens what
 * `db` names (storage/open-journal.ts), and closes what it opened when the executor is closed.
 *
 * With a `postgres://` journal, results and response bodies default to the PostgreSQL storage
 * provider on the same database, so a retry on any machine finds what an earlier attempt stored; a
 * `storage` given explicitly (a directory or a provider) still wins.
 */
import { openJournal, isPostgresUrl } from '../../storage/open-journal.ts';
import { openPostgresStorageProvider } from '../../storage/postgres-storage-provider.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import { createActionExecutor } from './executor.ts';
import { EXECUTOR_DEFAULTS, type ActionExecutor, type ActionExecutorOptions } from './executor-api.ts';

/**
 * Opens the journal and storage `options` name and creates the executor over them.
 *
 * @example
 * ```ts
 * const executor = await openActionExecutor({ db: process.env.DATABASE_URL, definitions: registry });
 * const state = await executor.execute(request); // journaled in Postgres, resumable on any machine
 * await executor.close();                        // closes the journal and storage it opened
 * ```
 *
 * Fails with a PostgresInfrastructureError (an InfrastructureError) when the database cannot be
 * used — its message names host, port, database and user, never the password — and with the SQLite
 * backend's errors for an unusable journal file.
 */
export async function openActionExecutor(options: ActionExecutorOptions): Promise<ActionExecutor> {
  const db = options.db ?? options.dbPath ?? EXECUTOR_DEFAULTS.db;
  const journal = await openJournal(db, { durability: options.durability ?? EXECUTOR_DEFAULTS.durability });
  const ownedJournal = typeof db === 'string' ? journal : undefined;
  let storage: string | StreamingStorageProvider | undefined = options.storage ?? options.storageDir;
  let ownedStorage: { close(): Promise<void> } | undefined;
  let executor: ActionExecutor;
  try {
    if (storage === undefined && typeof db === 'string' && isPostgresUrl(db)) {
      const provider = await openPostgresStorageProvider({ url: db.trim() });
      storage = provider;
      ownedStorage = provider;
    }
    executor = createActionExecutor({ ...options, db: journal, ...(storage === undefined ? {} : { storage }) });
  } catch (error) {
    await ownedStorage?.close().catch(() => undefined);
    await ownedJournal?.close().catch(() => undefined);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...executor,
    close() {
      closing ??= (async () => {
        await executor.close();
        await ownedStorage?.close();
        await ownedJournal?.close();
      })();
      return closing;
    },
  };
}
