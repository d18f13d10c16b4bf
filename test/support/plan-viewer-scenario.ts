/**
 * Plans for the viewer's plan tests, run by the real plan executor against a real local API: a
 * "CLI" process (its own executor, its own lease owner) runs each plan until it pauses for a
 * confirmation and exits, and the viewer — its plan feature over another executor on the same
 * journal — shows and answers them.
 */
import { createPlanFeature, type PlanFeature, type PlanFeatureOptions } from '../../src/viewer/plan-feature.ts';
import { startViewer, type Viewer, type ViewerOptions } from '../../src/viewer/viewer-server.ts';
import { createDefinitionRegistry } from '../../src/definitions/definition-registry.ts';
import type { PlanExecutor } from '../../src/plans/plan-executor.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ExecutionPlan } from '../../src/schemas/plan.ts';
import { definition } from './executor-harness.ts';
import { createPlanHarness, planDefinitions, type PlanHarness } from './plan-harness.ts';
import { action, plan } from './plan-fixtures.ts';
import { startScriptedApi, type ScriptedApi } from './scripted-api.ts';

export const PLAN_IDS = {
  mixed: '1a1a1a1a-0000-4000-8000-000000000001',
  confirm: '2b2b2b2b-0000-4000-8000-000000000002',
  reject: '3c3c3c3c-0000-4000-8000-000000000003',
  cancel: '4d4d4d4d-0000-4000-8000-000000000004',
  done: '5e5e5e5e-0000-4000-8000-000000000005',
} as const;

/** `get-secret`: GET /secret with `Authorization: Bearer ${credentials.TOKEN}`. */
export function secretDefinition(url: string): ActionDefinition {
  return definition(url, { id: 'get-secret', endpoint: { url: `${url}/secret`, method: 'GET', headers: { Accept: 'application/json', Authorization: 'Bearer ${credentials.TOKEN}' }, timeout: 2000 }, inputSchema: {} });
}

const withId = (p: ExecutionPlan, id: string, name: string): ExecutionPlan => ({ ...p, id: id as ExecutionPlan['id'], name });

/**
 * Every status on one page: lookup and flag completed, gated skipped (its condition is false),
 * broken failed (a 404) with fallback_note standing in, order waiting for its confirmation and
 * after_order pending behind it.
 */
export function mixedPlan(id: string = PLAN_IDS.mixed): ExecutionPlan {
  return withId(plan([
    action('lookup', { inputs: { userId: 'u_1' } }),
    action('flag', { definition: 'get-flag', inputs: { flag: 'beta' } }),
    action('gated', { definition: 'send-note', deps: ['flag'], inputs: { to: 'x' }, condition: { if: '${flag.output.enabled}', else: 'skip' } }),
    action('broken', { definition: 'get-status', inputs: { code: '404' }, continueOnFailure: true, alternative: 'fallback_note' }),
    action('fallback_note', { definition: 'send-note', inputs: { to: 'ops', text: 'broken is down' } }),
    action('order', { definition: 'create-order', deps: ['lookup'], inputs: { customerId: '${lookup.output.id}', amount: 5 }, confirm: {} }),
    action('after_order', { definition: 'send-note', deps: ['order'], inputs: { to: 'ada', text: 'order ${order.output.orderId}' } }),
  ]), id, 'Every status');
}

/** get_user → order (asks first) → note. */
export function onboardingPlan(id: string, name = 'Onboarding', confirm: { timeout?: number } = {}): ExecutionPlan {
  return withId(plan([
    action('get_user', { inputs: { userId: 'u_1' } }),
    action('order', { definition: 'create-order', deps: ['get_user'], inputs: { customerId: '${get_user.output.id}', amount: 5 }, confirm }),
    action('note', { definition: 'send-note', deps: ['order'], inputs: { to: 'ada', text: 'order ${order.output.orderId}' } }),
  ]), id, name);
}

export interface PlanViewerScenario {
  api: ScriptedApi;
  /** The journal, the clock, and the viewer's executor (`h.executor`). */
  h: PlanHarness;
  /** The "CLI" that ran the plans and exited: another lease owner on the same journal. */
  cli: PlanExecutor;
  feature: PlanFeature;
  viewer: Viewer;
  cleanup(): Promise<void>;
}

export interface PlanViewerScenarioOptions {
  feature?: Partial<PlanFeatureOptions>;
  viewer?: Partial<ViewerOptions>;
  /** Scripts beyond the defaults (a user, an order, a note, flag beta off, status 404). */
  routes?: Record<string, Parameters<ScriptedApi['script']>[1]>;
}

/** The API, the journal and the viewer with its plans feature (polling only on `feed.tick()` unless `viewer.pollMs` says). */
export async function createPlanViewerScenario(options: PlanViewerScenarioOptions = {}): Promise<PlanViewerScenario> {
  const api = await startScriptedApi();
  api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada', email: 'ada@example.com' } }]);
  api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_1', status: 'pending' } }]);
  api.script('POST /notes', [{ status: 201, body: { noteId: 'n_1' } }]);
  api.script('GET /flags/beta', [{ status: 200, body: { enabled: false } }]);
  api.script('GET /status/404', [{ status: 404, body: { message: 'no such status' } }]);
  for (const [route, responses] of Object.entries(options.routes ?? {})) api.script(route, responses);
  const definitions = [...planDefinitions(api.url), secretDefinition(api.url)];
  const h = createPlanHarness(definitions);
  const cli = h.reopenPlans();
  const feature = createPlanFeature({ executor: h.executor, definitions: createDefinitionRegistry(definitions), clock: h.clock, ...options.feature });
  const viewer = await startViewer({ executor: h.executor, port: 0, pollMs: 0, clock: h.clock, extensions: [feature.extension], secrets: Object.values(options.feature?.credentials ?? {}), ...options.viewer });
  return {
    api,
    h,
    cli,
    feature,
    viewer,
    cleanup: async () => {
      await viewer.close();
      await feature.close();
      await h.cleanup();
      await api.close();
    },
  };
}
