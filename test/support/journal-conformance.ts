/**
 * The journal conformance suite: the behaviour every `Journal` backend (storage/journal.ts) must
 * show, checked through the interface only. A backend's test file calls
 * {@link describeJournalConformance} with a factory; test/journal-conformance.test.ts does it for SQLite.
 *
 * The factory must give every call without `shared` a new, empty, private database, and every call
 * with the same `shared` name the same database (the suite picks names unique to each test, so it
 * is safe to run in parallel with other files and in any order). Time is always passed explicitly
 * (`now`); nothing here sleeps.
 */
import { describe } from 'vitest';
import { describeAttemptConformance } from './journal-conformance/attempt-conformance.ts';
import { createConformanceHarness, type ConformanceCleanup, type OpenConformanceJournal } from './journal-conformance/conformance-harness.ts';
import { describeDurabilityConformance } from './journal-conformance/durability-conformance.ts';
import { describeExecutionConformance } from './journal-conformance/execution-conformance.ts';
import { describeFencingConformance } from './journal-conformance/fencing-conformance.ts';
import { describeGroupCommitConformance } from './journal-conformance/group-commit-conformance.ts';
import { describeLeaseConformance } from './journal-conformance/lease-conformance.ts';
import { describeListingConformance } from './journal-conformance/listing-conformance.ts';
import { describeOutboxConformance } from './journal-conformance/outbox-conformance.ts';
import { describeRateLimitConformance } from './journal-conformance/rate-limit-conformance.ts';
import { describeTransitionConformance } from './journal-conformance/transition-conformance.ts';

export type { ConformanceCleanup, ConformanceOpenOptions, OpenConformanceJournal } from './journal-conformance/conformance-harness.ts';

/**
 * Registers the conformance suite for one backend under `journal conformance: <name>`.
 * `openJournal` opens a journal (see the file header for what `shared` must mean); `cleanup` runs
 * once after the suite. Every journal the suite opens is closed after its test.
 */
export function describeJournalConformance(name: string, openJournal: OpenConformanceJournal, cleanup?: ConformanceCleanup): void {
  describe(`journal conformance: ${name}`, () => {
    const h = createConformanceHarness(openJournal, cleanup);
    describeExecutionConformance(h);
    describeTransitionConformance(h);
    describeAttemptConformance(h);
    describeFencingConformance(h);
    describeGroupCommitConformance(h);
    describeLeaseConformance(h);
    describeListingConformance(h);
    describeOutboxConformance(h);
    describeRateLimitConformance(h);
    describeDurabilityConformance(h);
  });
}
