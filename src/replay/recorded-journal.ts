/**
 * The journal of a replay: an in-memory {@link Journal} seeded from one recording. Reads answer from
 * the recorded rows; writes land in memory only (the real journal is never touched), so the effects
 * run exactly as they do against a database — a recorded attempt is found and fed back — and the
 * replay can read what it "journaled" itself. The client-side rate limit answers from the recording
 * too: the replay loop says, step by step, whether the recorded step was THROTTLED.
 */
import type {
  AttemptRecord,
  CommitResult,
  ExecutionKey,
  ExecutionPage,
  ExecutionRecord,
  Fence,
  Journal,
  JournalWrite,
  LeaseResult,
  OutboxRecord,
  TransitionRecord,
} from '../../storage/journal.ts';
import type { Recording } from './recording.ts';

/** The rate-limit answer for the step being replayed. */
export type RateTokenAnswer = { granted: true } | { granted: false; waitMs: number };

/** A {@link Journal} over one recording, with the replay's controls. */
export interface RecordedJournal extends Journal {
  /**
   * Sets what `takeRateToken` answers for the next step. A throttled step ran before its attempt
   * began, so until the step is over that attempt's record is hidden, as it was then. @default granted
   */
  answerRateLimit(answer: RateTokenAnswer, attempt?: number): void;
  /** Transitions the replay wrote (in memory). */
  readonly written: TransitionRecord[];
}

const FENCE: Fence = { ownerId: 'replay', epoch: 1 };

/** An in-memory journal over one recording; nothing it is given reaches a disk. */
export function createRecordedJournal(recording: Recording, backend: Journal['backend'] = 'sqlite'): RecordedJournal {
  const key: ExecutionKey = { executionId: recording.executionId, actionId: recording.actionId };
  const same = (other: ExecutionKey): boolean => other.executionId === key.executionId && other.actionId === key.actionId;
  const attempts = new Map<number, AttemptRecord>(recording.attempts.map((a) => [a.attempt, structuredClone(a)]));
  const written: TransitionRecord[] = [];
  let rateAnswer: RateTokenAnswer = { granted: true };
  let hidden: number | undefined;
  const owner = { id: 'replay', pid: process.pid, host: 'replay' };
  const stats = { commits: 0, writes: 0 };
  const record = (): ExecutionRecord => ({
    executionId: recording.executionId,
    actionId: recording.actionId,
    definitionId: recording.definitionId,
    requestHash: '',
    request: recording.request,
    definition: recording.definition,
    machineVersion: recording.machineVersion,
    status: recording.status,
    stateValue: recording.stateValue,
    snapshot: recording.snapshot,
    attemptCount: recording.attempts.length,
    wakeAt: null,
    result: recording.result,
    createdAt: recording.createdAt,
    updatedAt: recording.createdAt,
    lease: null,
  });
  // Records are handed out as shallow copies: the effects read outcomes, they never modify them.
  const sorted = (): AttemptRecord[] => [...attempts.values()].sort((a, b) => a.attempt - b.attempt).map((a) => ({ ...a }));

  const apply = (write: JournalWrite, now: number): void => {
    switch (write.type) {
      case 'create':
        return;
      case 'transition':
        written.push({ seq: written.length + 1, from: write.from, to: write.to, event: write.event, data: write.data ?? null, at: write.at ?? now, snapshot: write.snapshot });
        return;
      case 'beginAttempt':
        if (!attempts.has(write.attempt)) {
          attempts.set(write.attempt, { attempt: write.attempt, idempotencyKey: write.idempotencyKey, state: 'in_flight', request: write.request, outcome: null, startedAt: now, finishedAt: null });
        }
        return;
      case 'finishAttempt': {
        const existing = attempts.get(write.attempt);
        // As in the real journals, the first outcome stays.
        if (existing && existing.outcome === null) attempts.set(write.attempt, { ...existing, state: write.state, outcome: write.outcome, finishedAt: now });
        return;
      }
    }
  };

  return {
    backend,
    location: `replay of ${recording.executionId} / ${recording.actionId} (in memory)`,
    owner,
    stats,
    written,
    answerRateLimit(answer, attempt) {
      rateAnswer = answer;
      hidden = answer.granted ? undefined : attempt;
    },
    async commit(target, writes, _fence, now): Promise<CommitResult> {
      if (!same(target)) throw new Error(`a replay of ${key.executionId} / ${key.actionId} cannot write to ${target.executionId} / ${target.actionId}`);
      for (const write of writes) apply(write, now);
      stats.commits += 1;
      stats.writes += 1;
      return {};
    },
    async get(target) {
      return same(target) ? record() : undefined;
    },
    async listExecutions(): Promise<ExecutionPage> {
      return { records: [record()], total: 1 };
    },
    async listUnfinished() {
      return [];
    },
    async listTransitions(target) {
      return same(target) ? written.map((t) => ({ ...t })) : [];
    },
    async getAttempt(target, attempt) {
      const found = same(target) && attempt !== hidden ? attempts.get(attempt) : undefined;
      return found ? { ...found } : undefined;
    },
    async listAttempts(target) {
      return same(target) ? sorted() : [];
    },
    async acquireLease(): Promise<LeaseResult> {
      return { acquired: true, fence: FENCE, record: record() };
    },
    async renewLease() {
      return true;
    },
    async releaseLease() {},
    async pendingOutbox(): Promise<OutboxRecord[]> {
      return [];
    },
    async listOutbox(): Promise<OutboxRecord[]> {
      return [];
    },
    async markDelivered() {},
    async recordDeliveryFailure() {},
    async takeRateToken() {
      const answer = rateAnswer;
      rateAnswer = { granted: true };
      hidden = undefined;
      return answer;
    },
    async close() {},
  };
}
