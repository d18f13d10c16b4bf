/**
 * The journal conformance suite on the PostgreSQL backend (issue 10), against the real server of
 * test/support/postgres.ts. The file works in a fresh database of its own; inside it, every private
 * journal the suite asks for is a new schema, and every `shared` name is one schema that a second
 * journal (a second process) opens again — so journals of one test see each other exactly as the
 * suite intends, and those of other tests not at all.
 */
import { randomUUID } from 'node:crypto';
import { openPostgresJournal } from '../storage/postgres/postgres-journal.ts';
import { describeJournalConformance } from './support/journal-conformance.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';

/** A schema name for a database name of the suite (`journal-<uuid>`) or a private journal. */
const schemaFor = (name: string): string => `j_${name.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(-32)}`;

describeWithPostgres('Postgres journal (issue 10)', () => {
  let database: Promise<FreshDatabase> | undefined;
  const fresh = (): Promise<FreshDatabase> => (database ??= freshDatabase('journal_conformance'));

  describeJournalConformance(
    'postgres',
    async ({ ownerId, shared } = {}) => {
      const { url } = await fresh();
      return openPostgresJournal({ url, schema: schemaFor(shared ?? randomUUID()), maxConnections: 3, ...(ownerId === undefined ? {} : { ownerId }) });
    },
    async () => {
      if (database) await (await database).drop();
    },
  );
});
