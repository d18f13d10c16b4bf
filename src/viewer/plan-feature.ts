/**
 * The plans feature, ready to hand to `startViewer({ extensions })`: a plan executor over the
 * viewer's executor (so plans answered in the viewer run on in its process, under its journal's
 * owner), its progress wired to the routes' commit waits, and the routes themselves.
 *
 * Credentials: the journal keeps only the *names* of the credentials a plan was submitted with. The
 * actions an answer starts in the viewer get the values given here (`ui --credentials FILE`); without
 * them an action whose definition needs one fails before sending anything (`auth_invalid`,
 * `CREDENTIAL_MISSING`, naming the credential), as it would in any process that continues the plan
 * without them. The plan page says which are missing
 * before anyone answers.
 */
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import type { ActionExecutor } from '../execution/executor-api.ts';
import { testHooksOf, withTestHooks } from '../execution/test-hooks.ts';
import { createPlanExecutor } from '../plans/plan-executor.ts';
import type { PlanExecutor, PlanExecutorOptions } from '../plans/plan-executor-api.ts';
import type { Clock } from '../support/clock.ts';
import { createPlanActivity, type PlanActivity } from './plan-activity.ts';
import { planRoutes } from './plan-routes.ts';
import type { ViewerExtension } from './viewer-context.ts';

export interface PlanFeatureOptions {
  /** The viewer's executor: the plans' actions run through it, and its journal holds the plan rows. */
  executor: ActionExecutor;
  /** The definitions of the actions an answer may start (`--definitions`). */
  definitions: DefinitionRegistry;
  /** Credential values for the actions the viewer runs (`--credentials`); redact them from the viewer too. @default none */
  credentials?: Record<string, string>;
  /** Pass the viewer's and executor's clock. @default the system clock */
  clock?: Clock;
  /** @default a silent logger */
  logger?: PlanExecutorOptions['logger'];
  /** How long a Confirm, Reject or Cancel request waits for the commit that records it before answering 202 unrecorded. @default 10000 */
  answerWaitMs?: number;
  /** Plans the viewer drives at once, at most. @default 16 */
  maxDriven?: number;
}

export interface PlanFeature {
  /** Give it to `startViewer({ extensions: [feature.extension] })`. */
  readonly extension: ViewerExtension;
  /** The plan executor the viewer answers and cancels through. */
  readonly plans: PlanExecutor;
  /** For tests: commit waits in progress. */
  readonly activity: PlanActivity;
  /** Waits for the plans the viewer drives to pause or end (close the viewer first, the executor after). */
  close(): Promise<void>;
}

export const PLAN_FEATURE_DEFAULTS = { answerWaitMs: 10_000, maxDriven: 16 } as const;

export function createPlanFeature(options: PlanFeatureOptions): PlanFeature {
  const activity = createPlanActivity();
  const credentials = options.credentials ?? {};
  // Test hooks attached to the feature's options (crash points) reach its plan executor.
  const plans = createPlanExecutor(withTestHooks({
    executor: options.executor,
    definitions: options.definitions,
    credentials,
    onProgress: (event) => activity.onProgress(event),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  }, testHooksOf(options)));
  const extension = planRoutes({
    plans,
    activity,
    credentialNames: Object.keys(credentials),
    hasDefinition: (id) => options.definitions.get(id) !== undefined,
    answerWaitMs: options.answerWaitMs ?? PLAN_FEATURE_DEFAULTS.answerWaitMs,
    maxDriven: options.maxDriven ?? PLAN_FEATURE_DEFAULTS.maxDriven,
  });
  return { extension, plans, activity, close: () => plans.close() };
}
