/**
 * The executor's public API: its options, its methods and what they report (DESIGN §8). The
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
import type { AttemptRecord, ExecutionKey, ExecutionStatus, Journal, TransitionRecord } from '../../storage/journal.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import type { ExecutorEventListener } from './outbox-delivery.ts';
import { DEFAULT_MAX_MAPPED_BODY_BYTES } from '../http/body/stored-body.ts';
import type { CheckedExecutionState } from './stored-output-check.ts';

/** Where state lives by default: the CLI and the library agree on these. */
export const DEFAULT_PATHS = {
  db: './.action-executor/journal.db',
  storage: './.action-executor/storage',
} as const;

/** How durable a write is before the executor moves on (docs/storage.md "Durability modes"). */
export type Durability = 'process' | 'machine';

export interface ActionExecutorOptions {
  /**
   * The journal: a SQLite file path, a `postgres://` URL (with `openActionExecutor`, which opens it
   * asynchronously), or an open {@link Journal} (a backend of your own, or one shared by several
   * executors). @default './.action-executor/journal.db'
   */
  db?: string | Journal;
  /** @deprecated Use `db`. A SQLite journal file path. */
  dbPath?: string;
  /**
   * Where outputs, large bodies and results are stored: any StorageProvider with the executor's
   * streaming extras (`storage/local-storage-provider.ts`), or a directory for the local provider.
   * @default './.action-executor/storage'
   */
  storage?: string | StreamingStorageProvider;
  /** @deprecated Use `storage`. Root of the local storage provider. */
  storageDir?: string;
  /**
   * `process` survives a process crash (no fsync on the hot path); `machine` also survives power loss
   * (SQLite synchronous=FULL, files and directories fsynced before the journal points at them).
   * Applies to the journal and storage the executor opens itself. @default 'process'
   */
  durability?: Durability;
  /** The action definitions (a registry, or a list that is validated). */
  definitions: DefinitionRegistry | ActionDefinition[];
  /** The API catalog consulted for error mappings, rate limits and quirks. @default none */
  catalog?: ApiCatalog;
  /** @default a silent logger */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Custom authentication handlers by name (`authentication: { type: 'custom', handler }`). @default none */
  customAuth?: Record<string, CustomAuthHandler>;
  /**
   * Credential values for resuming executions: the journal never stores them, so a resume in a new
   * process needs them again. Called with the execution key and the credential names it was given.
   * @default none (credentials come with each request)
   */
  credentials?: Record<string, string> | ((key: ExecutionKey, names: string[]) => Record<string, string> | undefined);
  /** Lease time-to-live; renewed at a third of it while running. @default 30000 */
  leaseTtlMs?: number;
  /**
   * Response bytes kept inline (and in the journal) before a body streams to storage. Also the most an
   * output record read from a streamed body may hold. @default 1048576 (1 MiB)
   */
  inlineBodyLimit?: number;
  /**
   * The largest streamed JSON body read back from storage to be validated against outputSchema and
   * mapped to output fields (docs/limits.md); a larger one is "too large to map". @default 67108864 (64 MiB)
   */
  maxMappedBodyBytes?: number;
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
  /** XState inspection (`--inspect`): receives the driver's inspection events of every execution. @default none */
  inspect?: ((event: InspectionEvent) => void) | Observer<InspectionEvent>;
  /** Listeners for outbox events. More can be added with `on`. @default none */
  onEvent?: ExecutorEventListener;
  /** Called after each transition is journaled (the CLI prints progress from it). @default none */
  onTransition?: (info: TransitionInfo) => void;
}

/** The defaults of every option that has one, in one place. */
export const EXECUTOR_DEFAULTS = {
  db: DEFAULT_PATHS.db,
  storage: DEFAULT_PATHS.storage,
  durability: 'process' as Durability,
  leaseTtlMs: 30_000,
  inlineBodyLimit: 1024 * 1024,
  maxMappedBodyBytes: DEFAULT_MAX_MAPPED_BODY_BYTES,
  resumeConcurrency: 32,
} as const;

/** One journaled transition, as reported to `onTransition`. */
export interface TransitionInfo extends ExecutionKey {
  from: string;
  to: string;
  event: string;
  context: ExecutionContext;
  /** On a transition into `classifying`: the attempt whose outcome it consumed. */
  attemptRecord?: Pick<AttemptRecord, 'attempt' | 'request' | 'outcome'>;
}

export interface ResumeAllReport {
  resumed: number;
  completed: number;
  failed: number;
  skipped: number;
  /** Executions another live process holds. */
  busy: number;
  /**
   * Every execution that could not be resumed, with why: `code` is the ActionError's code
   * (MACHINE_VERSION_MISMATCH, SNAPSHOT_INVALID, JOURNAL_CORRUPT_JSON, STORED_REQUEST_INVALID, …), or
   * INFRASTRUCTURE / INTERNAL for other errors; `message` names the execution.
   */
  errors: { executionId: string; actionId: string; message: string; code: string }[];
}

/** One row of {@link ActionExecutor.list}. */
export interface ExecutionSummary extends ExecutionKey {
  definitionId: string;
  status: ExecutionStatus;
  /** The machine state (`backingOff`, `completed`, …). */
  state: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  /** When a backing-off execution wakes up. */
  wakeAt?: string;
}

export interface ListOptions {
  status?: ExecutionStatus | readonly ExecutionStatus[];
  definitionId?: string;
  /** Executions whose id contains this text. */
  search?: string;
  /** @default 50 */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** Everything the journal knows of one execution: its transitions, its attempts and its state. */
export interface ExecutionTimeline {
  summary: ExecutionSummary;
  transitions: TransitionRecord[];
  attempts: AttemptRecord[];
  /** With `storageWarning` when the stored output is missing or corrupt. */
  state: CheckedExecutionState;
}

/** Options of {@link ActionExecutor.execute} and {@link ActionExecutor.resume}. */
export interface ExecuteOptions {
  /**
   * When another live process holds the execution's lease, wait up to this many milliseconds (on the
   * executor's clock) for it to end — the holder finishing (its result is then returned), dying, or
   * its lease expiring — asking again every 250 ms, instead of failing at once with LEASE_HELD. Still
   * held at the end: LEASE_HELD with `waitedMs` in its context. The CLI's `--wait`. @default 0
   */
  waitForLease?: number;
}

export interface ActionExecutor {
  /**
   * Runs (or returns / resumes the recorded) execution of a request. A recorded completed state comes
   * back with `storageWarning` when its stored output is missing or corrupt. Rejects with LEASE_HELD
   * (`state_inconsistent`, context `holderPid`, `holderHost`, `expiresAt`) while another live process
   * drives it, and with an InterruptedError when the executor was interrupted.
   */
  execute(request: unknown, options?: ExecuteOptions): Promise<CheckedExecutionState>;
  /** Continues a recorded execution from its last journaled state (a finished one: as `execute` returns it). */
  resume(executionId: string, actionId: string, options?: ExecuteOptions): Promise<CheckedExecutionState>;
  /**
   * Resumes every unfinished execution in the journal. Each one it could not resume is in `errors` with
   * a code and a message; executions another live process holds are counted in `busy`. Rejects with an
   * InterruptedError when the executor is interrupted meanwhile.
   */
  resumeAll(options?: { concurrency?: number }): Promise<ResumeAllReport>;
  /**
   * The recorded state, or undefined when there is no such execution. A completed one is checked
   * against its stored output: `storageWarning` says when that is missing or corrupt.
   */
  get(executionId: string, actionId: string): Promise<CheckedExecutionState | undefined>;
  /** Recorded executions, newest first, with how many match in all. */
  list(options?: ListOptions): Promise<{ executions: ExecutionSummary[]; total: number }>;
  /** The journal timeline of one execution, or undefined when there is none. */
  timeline(executionId: string, actionId: string): Promise<ExecutionTimeline | undefined>;
  /** Cancels: a running execution is stopped (its in-flight request aborted and recorded); a dormant one is ended. */
  cancel(executionId: string, actionId: string, reason?: string): Promise<ActionExecutionState>;
  /**
   * Stops every run at its next journaled point without recording anything more, and releases its
   * lease: a backoff ends at once; a request in flight may finish, and its outcome is committed. Each
   * interrupted `execute` / `resume` / `resumeAll` rejects with an InterruptedError (`isInterruptedError`,
   * from `action-executor/errors`) naming the execution; later calls that would start or continue an
   * execution reject with one too (reads still work). Resolves once every run has stopped. A resume —
   * here after a restart, or by another process — carries on from the journal. @default reason 'interrupted'
   */
  interrupt(reason?: string): Promise<void>;
  /** Adds an outbox listener; returns a function that removes it. */
  on(listener: ExecutorEventListener): () => void;
  /** Delivers outbox events not yet delivered (also done after each execution). */
  deliverPendingEvents(): Promise<number>;
  readonly journal: Journal;
  readonly storage: StreamingStorageProvider;
  close(): Promise<void>;
}
