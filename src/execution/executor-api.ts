/**
 * The executor's public API: its options, its methods and what they report (DESIGN §7). The
 * implementation is src/execution/executor.ts, which re-exports these types.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from 'pino';
import type { ExecutionContext } from '../../machines/action-execution-context.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { ApiCatalog } from '../schemas/catalog.ts';
import type { Clock } from '../support/clock.ts';
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import type { CustomAuthHandler } from '../auth/auth.ts';
import type { ExecutionKey, Journal } from '../../storage/sqlite/sqlite-journal.ts';
import type { LocalStorageProvider } from '../../storage/local-storage-provider.ts';
import type { ExecutorEventListener } from './outbox-delivery.ts';

export interface ActionExecutorOptions {
  /** SQLite journal file. @default './.action-executor/journal.db' */
  dbPath?: string;
  /** Root of the local storage provider. @default './.action-executor/storage' */
  storageDir?: string;
  /** The action definitions (a registry, or a list that is validated). */
  definitions: DefinitionRegistry | ActionDefinition[];
  catalog?: ApiCatalog;
  /** @default a silent logger */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Custom authentication handlers by name (`authentication: { type: 'custom', handler }`). */
  customAuth?: Record<string, CustomAuthHandler>;
  /**
   * Credential values for resuming executions: the journal never stores them, so a resume in a new
   * process needs them again. Called with the execution key and the credential names it was given.
   */
  credentials?: Record<string, string> | ((key: ExecutionKey, names: string[]) => Record<string, string> | undefined);
  /** Lease time-to-live; renewed at a third of it while running. @default 30000 */
  leaseTtlMs?: number;
  /** Response bytes kept inline before streaming to storage. @default 1 MiB */
  inlineBodyLimit?: number;
  /**
   * Size limits on submitted requests, in UTF-8 bytes (docs/limits.md). A request over them is refused
   * by `execute` as `validation_failed` (`REQUEST_TOO_LARGE` / `INPUT_TOO_LARGE`) before anything is
   * journaled. A limit that is not a positive integer throws a RangeError when the executor is created.
   */
  limits?: {
    /** The whole request as JSON. @default 1048576 (1 MiB) */
    maxRequestBytes?: number;
    /** Each input value after its references are resolved. @default 262144 (256 KiB) */
    maxInputBytes?: number;
  };
  /** XState inspection (`--inspect`): receives every inspection event of every execution. */
  inspect?: ((event: InspectionEvent) => void) | Observer<InspectionEvent>;
  /** Listeners for outbox events. More can be added with `on`. */
  onEvent?: ExecutorEventListener;
  /** Called after each transition is journaled (the CLI prints progress from it). */
  onTransition?: (info: TransitionInfo) => void;
  /** Test-only: called with a named point (`transition:<state>`, `attempt:begun`, `attempt:finished`) once it is journaled. */
  faultHook?: (point: string) => void;
}

/** One journaled transition, as reported to `onTransition`. */
export interface TransitionInfo extends ExecutionKey {
  from: string;
  to: string;
  event: string;
  context: ExecutionContext;
}

export interface ResumeAllReport {
  resumed: number;
  completed: number;
  failed: number;
  skipped: number;
  /** Executions another live process holds. */
  busy: number;
  /** Executions that could not be resumed (infrastructure error), with why. */
  errors: { executionId: string; actionId: string; message: string }[];
}

export interface ActionExecutor {
  /** Runs (or returns / resumes the recorded) execution of a request. */
  execute(request: unknown): Promise<ActionExecutionState>;
  /** Continues a recorded execution from its last journaled state. */
  resume(executionId: string, actionId: string): Promise<ActionExecutionState>;
  /** Resumes every unfinished execution in the journal. */
  resumeAll(options?: { concurrency?: number }): Promise<ResumeAllReport>;
  /** The recorded state, or undefined when there is no such execution. */
  get(executionId: string, actionId: string): ActionExecutionState | undefined;
  /** Cancels: a running execution is stopped (its in-flight request aborted and recorded); a dormant one is ended. */
  cancel(executionId: string, actionId: string, reason?: string): Promise<ActionExecutionState>;
  /** Adds an outbox listener; returns a function that removes it. */
  on(listener: ExecutorEventListener): () => void;
  /** Delivers outbox events not yet delivered (also done after each execution). */
  deliverPendingEvents(): Promise<number>;
  readonly journal: Journal;
  readonly storage: LocalStorageProvider;
  close(): Promise<void>;
}
