/**
 * The contract between the driver (driver.ts) and the effects (execution-run.ts): what an effect
 * answers with, what it observed for a replay, and what a run needs from its executor.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { ExecutionEvent } from '../../machines/action-execution.ts';
import type { Clock } from '../support/clock.ts';
import type { Journal, JournalWrite } from '../../storage/journal.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import type { CustomAuthHandler, TokenCache } from '../auth/auth.ts';
import type { CatalogMatch } from '../catalog/catalog-integration.ts';

/** What a step observed that a replay must feed back: the clock readings and random draws it used. */
export interface StepFacts {
  now?: number;
  random?: number[];
}

/** The answer of an effect that needs no side effect: the event for the machine. */
export interface Settled {
  writes?: JournalWrite[];
  event: ExecutionEvent;
  facts?: StepFacts;
}

/**
 * An effect's answer: settled at once, or `writes` that must be durable before `act` runs (write-ahead)
 * and the act itself, which settles with the event (and more writes, such as the attempt's outcome).
 */
export type Step = Settled | { writes?: JournalWrite[]; act: (signal: AbortSignal) => Promise<Settled> };

/** Everything a run needs from its executor. */
export interface RunDependencies {
  journal: Journal;
  storage: StreamingStorageProvider;
  catalog: { match(url: string): Promise<CatalogMatch> };
  clock: Clock;
  random: () => number;
  logger: Logger;
  customAuth: Record<string, CustomAuthHandler>;
  tokenCache: TokenCache;
  /** Bytes of a response body kept in memory (and in the journal) before it streams to storage. */
  inlineBodyLimit: number;
  /**
   * The network, injectable so a replay (src/replay/) can run these effects with a transport that
   * refuses every request: the pool attempts go through, and the fetch of token requests and health
   * probes. @default the process-wide shared Agent and `globalThis.fetch`
   */
  network?: { dispatcher: Dispatcher; fetch: typeof fetch };
  /** The largest streamed body read back to be validated and mapped to output fields. */
  maxMappedBodyBytes: number;
}

