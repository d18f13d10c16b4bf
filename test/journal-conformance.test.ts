/**
 * The journal conformance suite on the SQLite backend: a new file per private journal, and one file
 * per `shared` name (two journals on it are two connections, as two processes would be).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteJournal } from '../storage/sqlite/sqlite-journal.ts';
import { describeJournalConformance } from './support/journal-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'journal-conformance-'));

describeJournalConformance(
  'sqlite',
  async ({ ownerId, shared } = {}) => openSqliteJournal(join(root, `${shared ?? randomUUID()}.db`), ownerId === undefined ? {} : { ownerId }),
  () => rmSync(root, { recursive: true, force: true }),
);
