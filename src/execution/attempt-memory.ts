/**
 * What a run remembers of its attempts until the journal shows them: the intents it wrote and the
 * outcomes it staged for the next commit. Classify reads the outcome from here instead of the
 * journal, progress lines get the attempt before it is committed, and a run that made every attempt
 * itself (a fresh execution) builds the httpTrace without reading anything back.
 */
import type { AttemptOutcome } from '../http/http-types.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';

export class AttemptMemory {
  private readonly outcomes = new Map<number, AttemptOutcome>();
  private readonly intents = new Map<number, { request: HttpTraceEntry['request']; startedAt: number }>();

  intent(attempt: number, request: HttpTraceEntry['request'], startedAt: number): void {
    this.intents.set(attempt, { request, startedAt });
  }

  outcome(attempt: number, outcome: AttemptOutcome): void {
    this.outcomes.set(attempt, outcome);
  }

  outcomeOf(attempt: number): AttemptOutcome | undefined {
    return this.outcomes.get(attempt);
  }

  requestOf(attempt: number): HttpTraceEntry['request'] | undefined {
    return this.intents.get(attempt)?.request;
  }

  /** Every attempt's redirect hops and final request/response, by attempt number. */
  traces(): HttpTraceEntry[] {
    return [...this.intents.keys()].sort((a, b) => a - b).flatMap((attempt) => {
      const outcome = this.outcomes.get(attempt) as (AttemptOutcome & { redirectTraces?: HttpTraceEntry[] }) | undefined;
      if (outcome?.trace) return [...(outcome.redirectTraces ?? []), outcome.trace];
      const intent = this.intents.get(attempt);
      return intent ? [{ timestamp: new Date(intent.startedAt).toISOString(), request: intent.request }] : [];
    });
  }
}
