/**
 * The journal (DESIGN §6): the durable record of every action execution — its latest state, the
 * append-only transitions, each HTTP attempt's write-ahead intent and outcome, the lease that makes one
 * process its single writer, the outbox and the client-side rate-limit buckets. This file is the
 * interface; `storage/sqlite/` and `storage/postgres/` implement it, and `test/support/journal-conformance.ts`
 * is the suite every backend passes.
 *
 * Writes are grouped: `commit` takes every write one execution needs to make durable before its next
 * side effect, applies them atomically and fenced (only while the caller still holds the lease), and
 * shares one database transaction with the commits of other executions that arrive in the same tick
 * (group commit). A caller that awaited `commit` may start its side effect: its writes are durable.
 * Callers pass already-redacted data; a journal stores what it is given and never sees credentials.
 */

/** A durable execution's identity (DESIGN §4 "Identity"). */
export interface ExecutionKey {
  executionId: string;
  actionId: string;
}

/** Mirrors ActionExecutionState.status; completed, failed and skipped are terminal. */
export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'skipped'];

/** Whether a status is final (completed, failed or skipped). */
export function isTerminalStatus(status: string): status is 'completed' | 'failed' | 'skipped' {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Who holds a lease: the journal's owner id, plus the process and host for messages. */
export interface LeaseOwner {
  id: string;
  pid: number;
  host: string;
}

/** A lease as stored on an execution: its holder, its epoch (bumped by every acquisition) and expiry. */
export interface HeldLease extends LeaseOwner {
  epoch: number;
  expiresAt: number;
}

/**
 * Proof of holding a lease, carried by every fenced write: the write lands only while the execution's
 * lease still has this owner and epoch. A process whose lease was taken over can never write (and so
 * can never record an attempt's intent, which must precede every send).
 */
export interface Fence {
  ownerId: string;
  epoch: number;
}

/** One `action_executions` row: the latest state of an execution and its lease. */
export interface ExecutionRecord extends ExecutionKey {
  /** `action.actionDefinitionId` of the request (for listing and filtering). */
  definitionId: string;
  requestHash: string;
  request: unknown;
  definition: unknown;
  machineVersion: string;
  status: ExecutionStatus;
  stateValue: string;
  snapshot: unknown;
  attemptCount: number;
  wakeAt: number | null;
  /** null until a terminal transition records one. */
  result: unknown;
  createdAt: number;
  updatedAt: number;
  /** The last holder, even when expired: compare `expiresAt` with the clock. */
  lease: HeldLease | null;
}

/** One append-only `transitions` row; `seq` counts from 1 per execution. */
export interface TransitionRecord {
  seq: number;
  from: string;
  to: string;
  /** The event's name (`RETRY`, `SENT`, …). */
  event: string;
  /** The event's payload and the facts the effect observed (clock, random draws), redacted; null when none. */
  data: unknown;
  at: number;
  snapshot: unknown;
}

/** One `http_attempts` row: the write-ahead record of a request (DESIGN §6 "Write-ahead rule"). */
export interface AttemptRecord {
  attempt: number;
  idempotencyKey: string | null;
  /** `in_flight` with no outcome after a crash means the request's fate is unknown. */
  state: 'in_flight' | 'responded' | 'failed';
  request: unknown;
  /** null while in flight. */
  outcome: unknown;
  startedAt: number;
  finishedAt: number | null;
}

/** One outbox event. */
export interface OutboxRecord extends ExecutionKey {
  id: number;
  type: string;
  payload: unknown;
  createdAt: number;
  /** Delivery attempts so far, failed ones and the successful one. */
  deliveries: number;
  lastError: string | null;
  deliveredAt: number | null;
}

/** Creates the execution if absent; must be the first write of its commit. */
export interface CreateWrite {
  type: 'create';
  definitionId: string;
  requestHash: string;
  request: unknown;
  definition: unknown;
  machineVersion: string;
  stateValue: string;
  snapshot: unknown;
  /** Lease the new execution to this journal's owner in the same transaction (epoch 1). */
  leaseTtlMs?: number;
}

/** Appends a transition and updates the execution row. */
export interface TransitionWrite {
  type: 'transition';
  from: string;
  to: string;
  event: string;
  data?: unknown;
  /** When the transition happened, if earlier than the commit. @default the commit's `now` */
  at?: number;
  snapshot: unknown;
  stateValue: string;
  status: ExecutionStatus;
  attemptCount: number;
  wakeAt: number | null;
  /** Absent keeps the stored result; null clears it. */
  result?: unknown;
  outbox?: { type: string; payload: unknown };
  /** Gives the fence's lease up in the same transaction (a terminal transition needs no writer). */
  releaseLease?: boolean;
}

/** Write-ahead: the intent of an attempt (`in_flight`), before its request is sent. */
export interface BeginAttemptWrite {
  type: 'beginAttempt';
  attempt: number;
  idempotencyKey: string | null;
  request: unknown;
}

/** The outcome of an attempt, after its request. A second outcome for one attempt is ignored (the first stays). */
export interface FinishAttemptWrite {
  type: 'finishAttempt';
  attempt: number;
  state: 'responded' | 'failed';
  outcome: unknown;
}

export type JournalWrite = CreateWrite | TransitionWrite | BeginAttemptWrite | FinishAttemptWrite;

/** What a commit did. */
export interface CommitResult {
  /** With a `create` write: false when the execution already existed (then nothing else was written). */
  created?: boolean;
  /** With a `create` write: the stored record (new or existing), after the commit. */
  record?: ExecutionRecord;
  /** With a `create` write that leased the new execution: the fence for the caller's next writes. */
  fence?: Fence;
}

/** Filters and paging of {@link Journal.listExecutions}. */
export interface ExecutionQuery {
  executionId?: string;
  /** Executions whose executionId contains this text. */
  search?: string;
  statuses?: readonly ExecutionStatus[];
  /** Executions whose `stateValue` is one of these (a plan row's stateValue is the plan's status). */
  stateValues?: readonly string[];
  definitionId?: string;
  /** @default 'newest' */
  order?: 'newest' | 'oldest';
  /** @default no limit */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** A page of executions and how many match in all. */
export interface ExecutionPage {
  records: ExecutionRecord[];
  total: number;
}

export type LeaseResult =
  /** `record`: the execution as it stands under the new lease (no second read needed). */
  | { acquired: true; fence: Fence; record: ExecutionRecord; tookOverFrom?: LeaseOwner; reason?: string }
  | { acquired: false; heldBy: LeaseOwner; expiresAt: number };

/** Counters for benchmarks and tests. */
export interface JournalStats {
  /** Database transactions committed (a group commit counts once). */
  commits: number;
  /** Units of writes applied (one per `commit` call and per lease/outbox/bucket write). */
  writes: number;
}

/** The journal a driver, resume, the lease, the outbox, the CLI and the viewer work through. */
export interface Journal {
  readonly backend: 'sqlite' | 'postgres';
  /** Where it lives, for messages: a file path, or a URL with its password redacted. */
  readonly location: string;
  /** The owner this journal leases executions to (one per open journal). */
  readonly owner: LeaseOwner;
  readonly stats: JournalStats;

  /**
   * Applies `writes` for one execution atomically, in order, and resolves once they are durable.
   * With a fence, nothing is written unless the execution's lease still has that owner and epoch
   * (rejects with code `LEASE_LOST`). A leading `create` write inserts the execution if absent; when it
   * already exists, nothing is written and the result says so.
   */
  commit(key: ExecutionKey, writes: readonly JournalWrite[], fence: Fence | null, now: number): Promise<CommitResult>;

  get(key: ExecutionKey): Promise<ExecutionRecord | undefined>;
  listExecutions(query?: ExecutionQuery): Promise<ExecutionPage>;
  /** Keys of every execution not in a terminal status, oldest first. */
  listUnfinished(limit?: number): Promise<ExecutionKey[]>;
  listTransitions(key: ExecutionKey): Promise<TransitionRecord[]>;
  getAttempt(key: ExecutionKey, attempt: number): Promise<AttemptRecord | undefined>;
  listAttempts(key: ExecutionKey): Promise<AttemptRecord[]>;

  /**
   * Takes the lease for this journal's owner when it is free, already ours, expired, or held by an
   * owner whose death is proven (an OS lock or database session it held is gone). Every acquisition
   * bumps the epoch, which fences out the previous holder's writes.
   */
  acquireLease(key: ExecutionKey, now: number, ttlMs: number): Promise<LeaseResult>;
  /** Extends our lease; false when it is no longer ours (taken over): stop driving the execution. */
  renewLease(key: ExecutionKey, fence: Fence, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if the fence still holds it; a no-op otherwise, so it is safe in `finally`. */
  releaseLease(key: ExecutionKey, fence: Fence): Promise<void>;

  /** Undelivered outbox events, oldest first (at-least-once delivery re-reads them on every start). */
  pendingOutbox(limit?: number): Promise<OutboxRecord[]>;
  listOutbox(key: ExecutionKey): Promise<OutboxRecord[]>;
  /** Marks an event delivered; a second call (another process delivered it too) changes nothing. */
  markDelivered(id: number, now: number): Promise<void>;
  /** Counts a failed delivery and keeps its (caller-redacted) error; the event stays pending. */
  recordDeliveryFailure(id: number, error: string, now: number): Promise<void>;

  /** Durable token bucket (capacity = requests, refilled continuously at requests per window). */
  takeRateToken(bucket: string, capacity: number, windowMs: number, now: number): Promise<{ granted: true } | { granted: false; waitMs: number }>;

  /** Finishes pending commits and closes; a closed journal's owner counts as dead for takeovers. */
  close(): Promise<void>;
}
