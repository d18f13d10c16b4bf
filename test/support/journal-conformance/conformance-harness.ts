/**
 * What every conformance test gets from the backend under test: journals opened through the
 * backend's own factory, closed after each test, and database names unique to the test so the suite
 * is safe to run beside other files and in any order.
 */
import { afterAll, afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Journal } from '../../../storage/journal.ts';

/** Options the backend's factory receives from the suite. */
export interface ConformanceOpenOptions {
  /** The journal's lease owner id. @default one chosen by the backend, different for every journal */
  ownerId?: string;
  /**
   * Journals opened with the same name use one database: two processes sharing a journal, or a
   * journal reopened after close. @default a new private database for every call
   */
  shared?: string;
}

/** A backend's factory: opens (creating and migrating as needed) a journal. */
export type OpenConformanceJournal = (opts?: ConformanceOpenOptions) => Promise<Journal>;

/** Called once after the whole suite, e.g. to remove a temporary directory or drop schemas. */
export type ConformanceCleanup = () => void | Promise<void>;

/** The suite's handle on the backend. */
export interface ConformanceHarness {
  /** Opens a journal; it is closed after the test unless the test closes it with {@link close}. */
  open(opts?: ConformanceOpenOptions): Promise<Journal>;
  /** A database name for `shared`, unique to this call. */
  database(): string;
  /** Closes a journal opened by {@link open} (a second close is never attempted). */
  close(journal: Journal): Promise<void>;
}

/** Creates the harness and registers its hooks; call it inside the suite's `describe`. */
export function createConformanceHarness(openJournal: OpenConformanceJournal, cleanup?: ConformanceCleanup): ConformanceHarness {
  const openJournals = new Set<Journal>();
  afterEach(async () => {
    const journals = [...openJournals];
    openJournals.clear();
    await Promise.all(journals.map((journal) => journal.close()));
  });
  if (cleanup) afterAll(cleanup);
  return {
    async open(opts) {
      const journal = await openJournal(opts);
      openJournals.add(journal);
      return journal;
    },
    database: () => `journal-${randomUUID()}`,
    async close(journal) {
      openJournals.delete(journal);
      await journal.close();
    },
  };
}
