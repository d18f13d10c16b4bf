/**
 * `list` and `show` only read: they open the journal read-only, so looking at a project never creates
 * a journal file (or its directory) — a mistyped `--db` says "no journal at …" instead of leaving an
 * empty journal behind.
 */
import { resolve } from 'node:path';
import { isActionError, type ActionError } from '../failure/errors.ts';
import { createActionExecutor, type ActionExecutor } from '../execution/executor.ts';
import { openActionExecutor } from '../execution/open-action-executor.ts';
import { hasUrlScheme } from '../../storage/open-journal.ts';
import { DEFAULT_PATHS } from '../execution/executor-api.ts';
import { openSqliteJournal } from '../../storage/sqlite/sqlite-journal.ts';
import type { CliIo } from './cli-io.ts';
import { journalPath, type ProjectFlags } from './cli-project.ts';

export interface JournalReader {
  /** An executor over the read-only journal: `list`, `get`, `timeline` work; nothing is written. */
  executor: ActionExecutor;
  /** The journal file. */
  path: string;
  close(): Promise<void>;
}

/** The reader, or — when there is no journal file — the `JOURNAL_NOT_FOUND` error saying so. */
export async function openJournalReader(flags: ProjectFlags, io: CliIo): Promise<{ reader: JournalReader } | { missing: ActionError }> {
  const path = journalPath(flags, io);
  if (hasUrlScheme(path)) {
    // A database journal: nothing to create on disk; its results live in the database too.
    const executor = await openActionExecutor({ db: path, definitions: [] });
    return { reader: { executor, path: executor.journal.location, close: () => executor.close() } };
  }
  let journal;
  try {
    journal = openSqliteJournal(path, { readOnly: true });
  } catch (error) {
    if (isActionError(error) && error.detail.code === 'JOURNAL_NOT_FOUND') return { missing: error };
    throw error;
  }
  const opened = journal;
  // Storage is opened lazily by the local provider: reading the journal creates no directory either.
  const executor = createActionExecutor({ db: opened, storage: resolve(io.cwd, flags.storage ?? DEFAULT_PATHS.storage), definitions: [] });
  return {
    reader: {
      executor,
      path,
      close: async () => {
        await executor.close();
        await opened.close();
      },
    },
  };
}
