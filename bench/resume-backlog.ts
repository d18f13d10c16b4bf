/**
 * Resume (issue 6 §1): N executions left in `backingOff` with deadlines in the past — what a process
 * finds after being down through a burst of failures — resumed by `resumeAll` against a fast API.
 *
 * Building the backlog by running N real executions into a backoff would take longer than the
 * measurement, so one execution is run for real until its first attempt failed and it sits in
 * backingOff (on a manual clock an hour in the past, so its deadline has passed), and its journal
 * rows — execution, every transition, the attempt — are replayed through the Journal API for N new
 * execution ids, group-committed a thousand at a time. Each copy is what the executor itself would
 * have written for that id.
 */
import { randomUUID } from 'node:crypto';
import { createManualClock, systemClock } from '../src/support/clock.ts';
import { requestHash } from '../src/execution/request-identity.ts';
import { ActionExecuteRequestSchema } from '../src/schemas/job.ts';
import type { ExecutionKey, Journal, JournalWrite } from '../storage/journal.ts';
import { definition, executeRequest } from '../test/support/executor-harness.ts';
import { createBenchExecutor } from './bench-executor.ts';
import type { BenchServer } from './bench-server.ts';

export interface ResumeResult {
  executions: number;
  /** Time to write the backlog through the Journal API (not part of the goal). */
  buildSeconds: number;
  /** `resumeAll` wall time, from call to report. */
  resumeSeconds: number;
  perSecond: number;
  concurrency: number;
  completed: number;
  failed: number;
  errors: number;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Replays one execution's journal rows under `count` new execution ids: one commit per copy (create,
 * every transition, the attempt), issued a thousand at a time so the journal group-commits them.
 */
async function replicate(journal: Journal, template: ExecutionKey, count: number): Promise<void> {
  const record = await journal.get(template);
  if (!record) throw new Error('the template execution is not in the journal');
  const transitions = await journal.listTransitions(template);
  const attempts = await journal.listAttempts(template);
  const swap = <T>(value: T, id: string): T => JSON.parse(JSON.stringify(value).replaceAll(template.executionId, id)) as T;
  const copy = (): Promise<unknown> => {
    const executionId = randomUUID();
    const key = { executionId, actionId: template.actionId };
    const request = swap(record.request, executionId);
    const parsed = ActionExecuteRequestSchema.parse({ ...(request as object), context: { credentials: {}, previousResults: {} } });
    const writes: JournalWrite[] = [
      { type: 'create', definitionId: record.definitionId, requestHash: requestHash(parsed), request, definition: record.definition, machineVersion: record.machineVersion, stateValue: 'created', snapshot: null },
    ];
    for (const t of transitions) {
      const snapshot = swap(t.snapshot, executionId) as { value?: string; context?: { attempt?: number; nextAttemptAt?: number | null } };
      writes.push({
        type: 'transition',
        from: t.from,
        to: t.to,
        event: t.event,
        ...(t.data === null ? {} : { data: t.data }),
        at: t.at,
        snapshot,
        stateValue: t.to,
        status: 'running',
        attemptCount: snapshot.context?.attempt ?? 0,
        wakeAt: t.to === 'backingOff' ? (snapshot.context?.nextAttemptAt ?? null) : null,
      });
    }
    for (const a of attempts) {
      writes.push({ type: 'beginAttempt', attempt: a.attempt, idempotencyKey: a.idempotencyKey, request: swap(a.request, executionId) });
      if (a.state !== 'in_flight') writes.push({ type: 'finishAttempt', attempt: a.attempt, state: a.state, outcome: swap(a.outcome, executionId) });
    }
    return journal.commit(key, writes, null, record.createdAt);
  };
  for (let done = 0; done < count; done += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, count - done) }, copy));
  }
}

/** Builds the backlog, then times `resumeAll`. Every execution must complete, or the run throws. */
export async function runResumeBacklog(server: BenchServer, options: { executions: number; concurrency?: number; durability?: 'process' | 'machine' }): Promise<ResumeResult> {
  // Passed explicitly (32 is also resumeAll's default), so the report states what was measured.
  const concurrency = options.concurrency ?? 32;
  const def = definition(server.url, {
    id: 'get-flaky',
    endpoint: { url: `${server.url}/flaky/{userId}`, method: 'GET', headers: { Accept: 'application/json' }, timeout: 10_000 },
    retryPolicy: { ...definition(server.url).retryPolicy, initialDelay: 1000, maxDelay: 1000 },
  });
  // An hour ago, and frozen: the template's backoff deadline is long past in real time.
  const clock = createManualClock(Date.now() - 3_600_000);
  const bench = createBenchExecutor([def], { clock, durability: options.durability ?? 'process' });
  try {
    server.flaky = true;
    const template = { executionId: randomUUID(), actionId: 'get_user' };
    const running = bench.executor.execute(executeRequest(template.actionId, 'get-flaky', { userId: 'u_1' }, {}, template.executionId));
    await waitFor(async () => (await bench.executor.journal.get(template))?.stateValue === 'backingOff', 'the template execution to reach backingOff');

    const buildStart = performance.now();
    await replicate(bench.executor.journal, template, options.executions);
    const buildSeconds = (performance.now() - buildStart) / 1000;
    // The template itself is not part of the backlog: end it.
    await bench.executor.cancel(template.executionId, template.actionId, 'benchmark template');
    await running;
    server.flaky = false;

    const resumer = bench.reopen({ clock: systemClock });
    const pending = (await resumer.journal.listUnfinished()).length;
    if (pending !== options.executions) throw new Error(`expected ${options.executions} executions in backingOff, found ${pending}`);
    const started = performance.now();
    const report = await resumer.resumeAll({ concurrency });
    const resumeSeconds = (performance.now() - started) / 1000;
    if (report.completed !== options.executions) {
      throw new Error(`resumeAll completed ${report.completed} of ${options.executions}: ${JSON.stringify({ ...report, errors: report.errors.slice(0, 3) })}`);
    }
    return {
      executions: options.executions,
      buildSeconds,
      resumeSeconds,
      perSecond: options.executions / resumeSeconds,
      concurrency,
      completed: report.completed,
      failed: report.failed,
      errors: report.errors.length,
    };
  } finally {
    server.flaky = false;
    await bench.cleanup();
  }
}
