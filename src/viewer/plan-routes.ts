/**
 * The plans feature of the viewer (issue 12 "Plans"): the plans list, the plan page with its DAG,
 * their JSON and live streams, and the Confirm / Reject / Cancel POSTs (token-checked by the server
 * like every POST). An answer goes through `planExecutor.confirm`, a cancel through `cancelPlan`:
 * the request waits for the commit that records it (bounded), answers, and the plan runs on in the
 * viewer's process until it is over or pauses again; the page follows it through the journal, and a
 * failure later on is put on the page as a note and logged, never left unhandled.
 */
import { z } from 'zod';
import { isActionError } from '../failure/errors.ts';
import { latestConfirmations } from '../plans/plan-confirmation.ts';
import { isPlanTerminal, planKey, PlanRunSnapshotSchema, type PlanRunSnapshot } from '../plans/plan-record.ts';
import type { PlanStatus } from '../plans/plan-scheduler.ts';
import type { ExecutionState } from '../schemas/execution-state.ts';
import { HttpError, readJsonBody, sendJson } from './http-io.ts';
import type { PlanActivity } from './plan-activity.ts';
import { parsePlanListQuery, planListQueryKey } from './plan-list-query.ts';
import { loadPlanList, loadPlanView, planListSource, planSource, type PlanNotes, type PlanPagesDependencies } from './plan-load.ts';
import type { ViewerContext, ViewerExtension } from './viewer-context.ts';

/** What the plans routes need (see `createPlanFeature`, which builds them). */
export interface PlanRoutesOptions extends PlanPagesDependencies {
  activity: PlanActivity;
  /** How long a POST waits for the commit that records its answer or cancel. */
  answerWaitMs: number;
  /** Plans this viewer drives at once at most; an answer past that is a 503. */
  maxDriven: number;
}

const AnswerBodySchema = z.object({ confirmed: z.boolean(), userId: z.string().trim().min(1).max(200).optional() }).strict();
const CancelBodySchema = z.object({ reason: z.string().max(500).optional() }).strict();
const BODY_LIMIT = 16 * 1024;

/** Codes of answers and cancels the plan executor refuses, and the HTTP status each one is. */
const REFUSALS: Readonly<Record<string, number>> = {
  UNKNOWN_PLAN: 404,
  UNKNOWN_ACTION: 404,
  NO_CONFIRMATION: 409,
  NOT_WAITING_FOR_CONFIRMATION: 409,
  ALREADY_ANSWERED: 409,
  CONFIRMATION_TIMED_OUT: 409,
  LEASE_HELD: 409,
};

function bodyProblem(what: string, shape: string, error: z.ZodError): HttpError {
  return new HttpError(400, `${what}: the body must be ${shape}: ${error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ')}`, 'BAD_BODY');
}

/** The executor's refusal as the HTTP answer, its message redacted. */
function refusal(viewer: ViewerContext, error: unknown): unknown {
  if (!isActionError(error)) return error;
  const { code, message, suggestion } = error.detail;
  const status = (code === undefined ? undefined : REFUSALS[code]) ?? (error.detail.category === 'validation_failed' ? 400 : 409);
  return new HttpError(status, viewer.redact(suggestion === undefined ? message : `${message} ${suggestion}`), code);
}

/** The journaled snapshot of a plan (commits of this process land there before they are reported). */
async function committed(viewer: ViewerContext, planId: string): Promise<PlanRunSnapshot | undefined> {
  const record = await viewer.executor.journal.get(planKey(planId));
  const parsed = PlanRunSnapshotSchema.safeParse(record?.snapshot);
  return parsed.success ? parsed.data : undefined;
}

type Race = { kind: 'done'; state: ExecutionState } | { kind: 'error'; error: unknown } | { kind: 'recorded'; value: unknown } | { kind: 'timeout' };

/** Registers the plans pages, API, streams and buttons. */
export function planRoutes(options: PlanRoutesOptions): ViewerExtension {
  return (viewer) => {
    const notes: PlanNotes = new Map();
    const driven = new Set<string>();
    const { plans, activity } = options;

    const requirePlan = async (planId: string) => {
      const record = await viewer.executor.journal.get(planKey(planId));
      if (!record) throw new HttpError(404, `no plan run ${planId} in the journal`, 'UNKNOWN_PLAN');
      return record;
    };

    /**
     * Starts `work` (which drives the plan) and waits for whichever comes first: it settles, the
     * journal shows what it was for (`recorded`), or the wait runs out. Unless it failed first, the
     * rest of it runs in the background, its failure noted on the plan's page; `quiet` failures are
     * the ones the answer already told the client about.
     */
    async function drive(planId: string, what: string, work: () => Promise<ExecutionState>, recorded: () => Promise<unknown>, quiet: (error: unknown) => boolean = () => false): Promise<Race> {
      if (!driven.has(planId) && driven.size >= options.maxDriven) throw new HttpError(503, `this viewer drives ${driven.size} plans already (the limit); wait for one to pause or end`, 'TOO_MANY_PLANS');
      driven.add(planId);
      const running = work();
      const settled = running.then((state): Race => ({ kind: 'done', state }), (error: unknown): Race => ({ kind: 'error', error }));
      void settled.then(() => driven.delete(planId));
      const stop = new AbortController();
      const waited = activity.waitFor(planId, recorded, options.answerWaitMs, stop.signal).then((value): Race => (value === undefined ? { kind: 'timeout' } : { kind: 'recorded', value }));
      const first = await Promise.race([settled, waited]);
      stop.abort();
      if (first.kind === 'error') throw refusal(viewer, first.error);
      if (first.kind !== 'done') {
        viewer.background(`${what} (plan ${planId})`, running.catch((error: unknown) => {
          if (quiet(error)) return;
          if (notes.size >= 500) notes.delete(notes.keys().next().value ?? '');
          notes.set(planId, { at: new Date(viewer.clock.now()).toISOString(), message: `${what} failed: ${viewer.redact(error instanceof Error ? error.message : String(error))}` });
          throw error;
        }));
      }
      return first;
    }

    viewer.routes
      .add('GET', '/plans', ({ res }) => viewer.page(res, 'plans'))
      .add('GET', '/plans/:planId', ({ res }) => viewer.page(res, 'plan'))
      .add('GET', '/api/plans', async ({ res, url }) => sendJson(res, 200, await loadPlanList(viewer, options, parsePlanListQuery(url.searchParams))))
      .add('GET', '/api/plans/stream', ({ req, res, url }) => {
        const query = parsePlanListQuery(url.searchParams);
        const stream = viewer.openStream(req, res);
        stream.onClose(viewer.feed.watch(`plans:${planListQueryKey(query)}`, planListSource(viewer, options, query), (page) => stream.send('list', page)));
      })
      .add('GET', '/api/plans/:planId', async ({ res, params }) => {
        const planId = params.planId ?? '';
        const view = await loadPlanView(viewer, options, planId, notes);
        if (!view) throw new HttpError(404, `no plan run ${planId} in the journal`, 'UNKNOWN_PLAN');
        sendJson(res, 200, view);
      })
      .add('GET', '/api/plans/:planId/stream', async ({ req, res, params }) => {
        const planId = params.planId ?? '';
        await requirePlan(planId);
        const stream = viewer.openStream(req, res);
        stream.onClose(viewer.feed.watch(`plan:${planId}`, planSource(viewer, options, planId, notes), (view) => stream.send('plan', view)));
      })
      .add('POST', '/api/plans/:planId/confirm/:actionId', async ({ req, res, params }) => {
        const planId = params.planId ?? '';
        const actionId = params.actionId ?? '';
        const what = `answer ${planId} / ${actionId}`;
        const parsed = AnswerBodySchema.safeParse(await readJsonBody(req, BODY_LIMIT, what));
        if (!parsed.success) throw bodyProblem(what, '{"confirmed": boolean, "userId"?: string}', parsed.error);
        const { confirmed, userId } = parsed.data;
        await requirePlan(planId);
        const answered = async () => {
          const entry = latestConfirmations((await committed(viewer, planId))?.confirmations ?? []).get(actionId);
          return entry?.confirmed === undefined ? undefined : entry;
        };
        // An answer recorded otherwise (a timeout's automatic rejection, an earlier answer) is the
        // 409 below; the executor's own refusal of it, later, needs no note.
        const told = (error: unknown) => isActionError(error) && (error.detail.code === 'CONFIRMATION_TIMED_OUT' || error.detail.code === 'ALREADY_ANSWERED');
        const first = await drive(planId, confirmed ? 'confirm' : 'reject', () => plans.confirm(planId, actionId, { confirmed, ...(userId === undefined ? {} : { userId }) }), answered, told);
        const entry = first.kind === 'recorded' ? (first.value as Awaited<ReturnType<typeof answered>>) : first.kind === 'done' ? latestConfirmations(first.state.confirmations).get(actionId) : undefined;
        if (first.kind === 'timeout' || entry === undefined) {
          return sendJson(res, 202, { recorded: false, planId, actionId, message: `the answer was handed to the plan but is not journaled after ${options.answerWaitMs} ms; the page shows it once it is` });
        }
        if (entry.confirmed !== confirmed) {
          const how = entry.userId === undefined ? 'rejected automatically (its timeout passed)' : `${entry.confirmed === true ? 'confirmed' : 'rejected'} by ${entry.userId}`;
          throw new HttpError(409, viewer.redact(`The confirmation of "${actionId}" in plan ${planId} was already answered: ${how} at ${entry.respondedAt ?? 'an unrecorded time'}; an answer cannot be changed.`), entry.userId === undefined ? 'CONFIRMATION_TIMED_OUT' : 'ALREADY_ANSWERED');
        }
        sendJson(res, first.kind === 'done' ? 200 : 202, viewer.redact({ recorded: true, planId, actionId, confirmation: entry, ...(first.kind === 'done' ? { status: first.state.status } : {}) }));
      })
      .add('POST', '/api/plans/:planId/cancel', async ({ req, res, params }) => {
        const planId = params.planId ?? '';
        const what = `cancel plan ${planId}`;
        const parsed = CancelBodySchema.safeParse(await readJsonBody(req, BODY_LIMIT, what));
        if (!parsed.success) throw bodyProblem(what, '{"reason"?: string}', parsed.error);
        const record = await requirePlan(planId);
        if (isPlanTerminal(record.stateValue as PlanStatus)) throw new HttpError(409, `plan ${planId} already ended (${record.stateValue}); there is nothing to cancel`, 'ALREADY_ENDED');
        const cancelled = async () => ((await committed(viewer, planId))?.cancelled === true ? true : undefined);
        const first = await drive(planId, 'cancel', () => plans.cancelPlan(planId, parsed.data.reason ?? 'cancelled from the viewer'), cancelled);
        if (first.kind === 'timeout') return sendJson(res, 202, { recorded: false, planId, message: `the cancel was handed to the plan but is not journaled after ${options.answerWaitMs} ms; the page shows it once it is` });
        sendJson(res, first.kind === 'done' ? 200 : 202, { recorded: true, planId, ...(first.kind === 'done' ? { status: first.state.status } : {}) });
      });
  };
}
