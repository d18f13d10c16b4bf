/**
 * Replay (issue 12): re-drives one journaled execution's machine offline, from the journal's recorded
 * attempt outcomes, clock readings and random draws, and reports whether it reaches the same
 * decisions and the same final state. With a changed definition or catalog it is a what-if: it shows
 * where the decisions diverge and what would follow, up to the first point where it would need an
 * outcome the journal does not have.
 *
 * The loop is the driver's (src/execution/driver.ts) — `effectOf` → the run's effect → the named
 * event → `pureTransition` — with the real `ExecutionRun` effects and the real machine, in the
 * recorded world of replay-world.ts. What differs is only what a replay must do: before each step
 * the clock and random source are set to what that step recorded; a `CANCEL` that came from outside
 * is fed back as recorded; and a step that would send a request is never run — a recorded attempt is
 * found by the effect itself and fed back, an unrecorded one ends the replay.
 */
import { effectOf, MACHINE_VERSION, type ExecutionEvent, type ExecutionSnapshot } from '../../machines/action-execution.ts';
import { begin, failedEvent } from '../execution/driver.ts';
import type { Settled, StepFacts } from '../execution/step.ts';
import { pureInitialTransition, pureTransition } from '../execution/pure-transition.ts';
import { buildActionExecutionState, tracesOf } from '../execution/execution-state.ts';
import { canonicalJson } from '../execution/request-identity.ts';
import { createRedactor } from '../redaction/redaction.ts';
import type { ApiCatalogEntry } from '../schemas/catalog.ts';
import type { StorageLocation } from '../schemas/storage.ts';
import type { ExecutionKey } from '../../storage/journal.ts';
import { createReplayWorld, type ReplayWorld, type ReplayWorldOptions } from './replay-world.ts';
import { ReplayInputError } from './replay-input-error.ts';
import { UNRECORDED_DRAW } from './recorded-random.ts';
import { compareSteps, differingFields } from './step-comparison.ts';
import { detailSentence, divergenceSentence, followUpLine, whereOf } from './replay-words.ts';
import type { Recording } from './recording.ts';
import type { ReplayDivergence, ReplayedStep, ReplayReport, ReplayStop, StepTransition } from './replay-report.ts';

/** The recording type, for emitted tests that import from the package's public `replay` path. */
export type { Recording } from './recording.ts';

/** Options of {@link replayRecording}. */
export interface ReplayOptions extends ReplayWorldOptions {
  /**
   * How sentences name what the replay runs with, e.g. `with this catalog`.
   * @default 'with this definition' when `definition` is given, else 'on replay'
   */
  whatIf?: string | undefined;
  /** Steps replayed at most (a what-if could loop on a changed policy). @default 1000 */
  maxSteps?: number | undefined;
}

/** A replay's report and the catalog entry it classified with (for an emitted test). */
export interface ReplayRun {
  report: ReplayReport;
  catalogEntry: ApiCatalogEntry | null;
}

type RecordedStep = Recording['transitions'][number];

const NEVER = new AbortController().signal;

function factsOf(step: RecordedStep): StepFacts {
  const facts = (step.data as { facts?: StepFacts } | null)?.facts;
  return facts ?? {};
}

/** A recorded transition as a step: its payload without the facts. */
function recordedStep(step: RecordedStep): StepTransition {
  const { facts: _facts, ...payload } = (step.data ?? {}) as Record<string, unknown>;
  return { from: step.from, to: step.to, event: step.event, data: payload };
}

function eventPayload(event: ExecutionEvent): Record<string, unknown> {
  const { type: _type, ...payload } = event;
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}

const HEALTH = /^healthCheck/;

/** A final failure with a health probe: the probe is a network call, so its recorded result is used. */
function withRecordedHealth(event: ExecutionEvent, recorded: StepTransition | undefined): { event: ExecutionEvent; note: string } {
  if (event.type !== 'FAILED') return { event, note: '' };
  const own = Object.fromEntries(Object.entries(event.error.context).filter(([name]) => !HEALTH.test(name)));
  const recordedContext = (recorded?.event === 'FAILED' ? (recorded.data.error as { context?: Record<string, string> } | undefined)?.context : undefined) ?? {};
  const health = Object.fromEntries(Object.entries(recordedContext).filter(([name]) => HEALTH.test(name)));
  const note = Object.keys(health).length > 0
    ? `health check not probed offline: the journaled result (${health.healthCheck ?? 'recorded'}) is used`
    : 'health check not probed offline (no network); its result is left out';
  return { event: { ...event, error: { ...event.error, context: { ...own, ...health } } }, note };
}

/** Why a requesting step cannot be replayed, or null when its recorded attempt can be fed back. */
async function requestStop(world: ReplayWorld, key: ExecutionKey, attempt: number, expected: RecordedStep | undefined, source: string): Promise<{ stop: ReplayStop; divergence?: ReplayDivergence } | null> {
  // A client-side rate limit throttled this step before any attempt began.
  if (expected?.event === 'THROTTLED') return null;
  const record = await world.journal.getAttempt(key, attempt);
  if (!record) {
    return { stop: { reason: 'unrecorded_attempt', message: `attempt ${attempt} was never sent, so the journal has no outcome for it: the replay stops here (it sends nothing).` } };
  }
  if (record.outcome === null) {
    return { stop: { reason: 'in_doubt', message: `attempt ${attempt} was sent but its outcome was never recorded (the process stopped mid-request): the replay cannot know it and stops here.` } };
  }
  const preview = await world.run.requestPreview().catch(() => undefined);
  const recordedRequest = record.request as Record<string, unknown>;
  if (preview && canonicalJson(preview) !== canonicalJson(recordedRequest)) {
    const fields = differingFields(preview, recordedRequest);
    const shown = (r: { method?: unknown; url?: unknown }): string => `${String(r.method)} ${String(r.url)}`;
    const message = `attempt ${attempt}: ${source} the request would be ${shown(preview)} (different ${fields.join(', ')}); the journal's attempt ${attempt} was ${shown(recordedRequest)}`;
    return {
      divergence: { seq: expected?.seq ?? 0, where: `attempt ${attempt}`, kind: 'request', message },
      stop: { reason: 'different_request', message: `attempt ${attempt}'s recorded response answers a different request, so the replay stops here.` },
    };
  }
  return null;
}

/**
 * When the run that finished the execution started, a clock reading of the original run: the
 * recorded result says it (a fresh run starts at submission, a resumed one at the creation time it
 * read back); without a result, the first transition's time.
 */
function startedAtOf(recording: Recording): number {
  const startedAt = (recording.result as { startedAt?: unknown } | null)?.startedAt;
  const started = typeof startedAt === 'string' ? Date.parse(startedAt) : Number.NaN;
  if (Number.isFinite(started)) return started;
  return recording.transitions.find((t) => t.from === 'created')?.at ?? recording.createdAt;
}

/** Replays a recording; see {@link runReplay}. */
export async function replayRecording(recording: Recording, options: ReplayOptions = {}): Promise<ReplayReport> {
  return (await runReplay(recording, options)).report;
}

/** Replays a recording offline and compares every step with the journal. Rejects with ReplayInputError for bad input. */
export async function runReplay(recording: Recording, options: ReplayOptions = {}): Promise<ReplayRun> {
  if (recording.machineVersion !== MACHINE_VERSION) {
    throw new ReplayInputError(`${recording.executionId} / ${recording.actionId} was journaled by machine version ${recording.machineVersion}; this replay runs version ${MACHINE_VERSION}, whose events it cannot compare with.`);
  }
  const key: ExecutionKey = { executionId: recording.executionId, actionId: recording.actionId };
  const world = createReplayWorld(recording, options);
  const { run, clock, random, journal, storage, network } = world;
  const source = options.whatIf ?? (options.definition ? 'with this definition' : 'on replay');
  const maxSteps = options.maxSteps ?? 1000;
  const recorded = [...recording.transitions].filter((t) => t.from !== 'created').sort((a, b) => a.seq - b.seq);

  const steps: ReplayedStep[] = [];
  const divergences: ReplayDivergence[] = [];
  const followUp: string[] = [];
  let stop: ReplayStop | null = null;
  let snapshot: ExecutionSnapshot = pureInitialTransition(key)[0];
  let index = 0;
  let branched = false;
  let healthProbes = 0;
  let lastAt = recording.createdAt;

  for (let n = 0; snapshot.status !== 'done'; n += 1) {
    if (n >= maxSteps) {
      stop = { reason: 'step_limit', message: `the replay stopped after ${maxSteps} steps without reaching a final state.` };
      break;
    }
    const from = String(snapshot.value);
    const effect = effectOf(from, snapshot.context);
    if (effect === null) throw new Error(`state "${from}" names no effect and is not final`);
    const expected = branched ? undefined : recorded[index];
    const attempt = effect.type === 'request' || effect.type === 'classify' ? effect.attempt : undefined;
    if (!branched && !expected) {
      const inFlight = effect.type === 'request' ? await journal.getAttempt(key, effect.attempt) : undefined;
      stop = inFlight && inFlight.outcome === null
        ? { reason: 'in_doubt', message: `the journal ends here: attempt ${inFlight.attempt} was sent but its outcome was never recorded (the process stopped mid-request); whether it took effect is unknown until the execution is resumed.` }
        : { reason: 'journal_ends', message: `the journal ends here: the execution has not finished and is in ${recording.stateValue}.` };
      break;
    }
    const notes: string[] = [];
    if (expected) {
      const facts = factsOf(expected);
      clock.set(facts.now ?? expected.at);
      random.load(facts.random ?? []);
      lastAt = expected.at;
    } else {
      random.load([]);
    }
    run.state = from;

    let settled: Settled;
    if (expected?.event === 'CANCEL') {
      // A cancel came from outside the machine: feed it back as recorded.
      settled = { event: { type: 'CANCEL', ...recordedStep(expected).data } };
    } else {
      if (effect.type === 'request') {
        const blocked = await requestStop(world, key, effect.attempt, expected, source);
        if (blocked) {
          if (blocked.divergence) {
            divergences.push(blocked.divergence);
            branched = true;
          }
          stop = blocked.stop;
          break;
        }
        journal.answerRateLimit(expected?.event === 'THROTTLED' ? { granted: false, waitMs: Number(recordedStep(expected).data.delayMs ?? 0) } : { granted: true }, effect.attempt);
      }
      if (effect.type === 'store') storage.expect(expected?.event === 'STORED' ? (recordedStep(expected).data.location as StorageLocation | undefined) : undefined);
      const step = await begin(run, effect).catch(failedEvent);
      await journal.commit(key, step.writes ?? [], null, clock.now());
      if ('act' in step) {
        if (effect.type === 'request') {
          // Unreachable with a recorded attempt (the effect feeds it back); a guard, never a send.
          stop = { reason: 'in_doubt', message: `attempt ${effect.attempt} would have to be sent again: the replay stops here.` };
          break;
        }
        const refusedBefore = network.refused;
        settled = await step.act(NEVER).catch(failedEvent);
        if (effect.type === 'classify') {
          healthProbes += network.refused - refusedBefore;
          const substituted = withRecordedHealth(settled.event, expected ? recordedStep(expected) : undefined);
          settled = { ...settled, event: substituted.event };
          if (substituted.note) notes.push(substituted.note);
        }
      } else {
        settled = step;
      }
      await journal.commit(key, settled.writes ?? [], null, clock.now());
    }
    if (random.unrecorded > 0) notes.push(`${random.unrecorded} jitter draw(s) the journal does not have: assumed ${UNRECORDED_DRAW}, the longest delay`);

    const [next] = pureTransition(snapshot, settled.event);
    const replayed: StepTransition = { from, to: String(next.value), event: settled.event.type, data: eventPayload(settled.event) };
    const base = { ...replayed, ...(attempt === undefined ? {} : { attempt }), ...(notes.length > 0 ? { notes } : {}) };
    if (expected) {
      const was = recordedStep(expected);
      const where = whereOf(replayed, attempt);
      const comparison = compareSteps(replayed, was);
      if (comparison.verdict === 'same') {
        steps.push({ ...base, seq: expected.seq, verdict: 'same' });
      } else if (comparison.verdict === 'changed') {
        steps.push({ ...base, seq: expected.seq, verdict: 'changed', recorded: was });
        divergences.push({ seq: expected.seq, where, kind: 'detail', message: detailSentence(where, source, replayed, was, comparison.fields) });
      } else {
        steps.push({ ...base, seq: expected.seq, verdict: 'diverged', recorded: was });
        divergences.push({ seq: expected.seq, where, kind: 'decision', message: divergenceSentence(where, source, replayed, was) });
        branched = true;
      }
      index += 1;
    } else {
      steps.push({ ...base, verdict: 'what-if' });
      followUp.push(followUpLine(replayed, attempt, effect.type === 'wait' ? effect.delayMs : undefined));
    }
    snapshot = next;
  }

  const replayedState = String(snapshot.value);
  let finalState = null;
  if (snapshot.status === 'done') {
    finalState = buildActionExecutionState({
      actionId: key.actionId,
      stateValue: replayedState,
      context: snapshot.context,
      startedAt: startedAtOf(recording),
      finishedAt: branched ? clock.now() : lastAt,
      traces: await tracesOf(journal, key),
    });
    if (!branched && recording.result !== null) {
      const fields = differingFields(finalState, recording.result as Record<string, unknown>);
      if (fields.length > 0) divergences.push({ seq: recorded.at(-1)?.seq ?? 0, where: 'final state', kind: 'final', message: `final state: ${source} the ActionExecutionState differs in ${fields.join(', ')}` });
    }
    if (branched) {
      followUp.push(`→ the execution ends ${replayedState}`);
      const unsent = recording.attempts.filter((a) => a.attempt > snapshot.context.attempt).map((a) => a.attempt);
      if (unsent.length > 0) followUp.push(`the journal's attempt${unsent.length > 1 ? 's' : ''} ${unsent.join(', ')} would not have been sent`);
    }
  } else if (stop?.reason === 'journal_ends' || (stop?.reason === 'in_doubt' && !branched)) {
    const journaled = (recording.snapshot as { context?: unknown } | null)?.context;
    if (journaled !== undefined && canonicalJson(journaled) !== canonicalJson(snapshot.context)) {
      const fields = differingFields(snapshot.context, journaled as Record<string, unknown>);
      divergences.push({ seq: recorded.at(-1)?.seq ?? 0, where: 'latest state', kind: 'final', message: `latest state: ${source} the machine context differs in ${fields.join(', ')}` });
    }
  }
  if (stop && branched) followUp.push(stop.message);

  const report: ReplayReport = {
    executionId: key.executionId,
    actionId: key.actionId,
    definitionId: recording.definitionId,
    whatIf: options.whatIf ?? (options.definition ? 'with this definition' : null),
    outcome: divergences.length === 0 ? 'same' : 'diverged',
    recordedState: recording.stateValue,
    replayedState,
    steps,
    divergences,
    followUp,
    stop,
    finalState,
    requestsRefused: network.refused - healthProbes,
  };
  // The journal holds only redacted data; credential values given to the replay must not leak either.
  const redactor = createRedactor(Object.values(options.credentials ?? {}));
  return { report: redactor.json(report), catalogEntry: world.catalogEntry() };
}
