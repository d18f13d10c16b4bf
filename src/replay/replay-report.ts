/**
 * What a replay reports: each replayed step beside the recorded one, the divergences in words a
 * person understands, what would follow from the first one, and why the replay stopped where it did.
 * Plain JSON (`replay --json` prints it), redacted like everything else the executor shows.
 */
import type { ActionExecutionState } from '../schemas/execution-state.ts';

/** A transition as the journal records it, its payload without the step's facts. */
export interface StepTransition {
  from: string;
  to: string;
  event: string;
  /** The event's payload (`{}` when it has none). */
  data: Record<string, unknown>;
}

/**
 * How a replayed step compares with the recorded one: `same`; `changed` — the same event with a
 * different payload (another delay, another error); `diverged` — another decision (another event or
 * state), after which the replay is a what-if; `what-if` — a step after that point, which the journal
 * has nothing to compare with.
 */
export type StepVerdict = 'same' | 'changed' | 'diverged' | 'what-if';

/** One step of the replay, beside the recorded transition it is compared with. */
export interface ReplayedStep extends StepTransition {
  /** The journal's seq of the recorded transition compared with; absent for what-if steps. */
  seq?: number;
  /** The attempt a requesting or classifying step is about. */
  attempt?: number;
  verdict: StepVerdict;
  /** The recorded transition, when it is not the same. */
  recorded?: StepTransition;
  /** What the replay had to assume or take from the journal (a jitter draw, a health probe). */
  notes?: string[];
}

/** One place where the replay differs from the journal. */
export interface ReplayDivergence {
  /** The recorded transition it is about (the final state: the last one). */
  seq: number;
  /** `attempt 2`, `validating`, `final state`. */
  where: string;
  /** `decision`: another event; `detail`: the same event, another payload; `request`: another request; `final`: another final state. */
  kind: 'decision' | 'detail' | 'request' | 'final';
  /** The divergence in words ("attempt 2: with this catalog the 403 is …; it was … → failed"). */
  message: string;
}

/** Why the replay ended before a final state, or where the journal ends. */
export interface ReplayStop {
  /**
   * `unrecorded_attempt`: the replay needs an attempt that was never sent; `in_doubt`: an attempt
   * sent whose outcome was never recorded; `different_request`: the request would differ from the
   * recorded one, so its recorded response does not apply; `journal_ends`: the execution has not
   * ended (it is still running or waiting); `step_limit`: a safety bound on what-if steps.
   */
  reason: 'unrecorded_attempt' | 'in_doubt' | 'different_request' | 'journal_ends' | 'step_limit';
  message: string;
}

/** The replay of one action execution. */
export interface ReplayReport {
  executionId: string;
  actionId: string;
  definitionId: string;
  /** What the replay runs with instead of the recorded world (`this definition`, `this catalog`), or null. */
  whatIf: string | null;
  /** `same`: every decision and the final state as recorded; `diverged`: at least one divergence. */
  outcome: 'same' | 'diverged';
  /** The recorded machine state the journal ends in, and the state the replay reached. */
  recordedState: string;
  replayedState: string;
  steps: ReplayedStep[];
  divergences: ReplayDivergence[];
  /** After the first divergence: what would follow from it, step by step. */
  followUp: string[];
  stop: ReplayStop | null;
  /** The ActionExecutionState the replay reached, when it reached a final state. */
  finalState: ActionExecutionState | null;
  /** Requests the no-network transport refused: always 0 unless something tried to send. */
  requestsRefused: number;
}
