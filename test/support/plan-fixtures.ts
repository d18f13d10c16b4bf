/** Compact builders for execution plans in tests: an action is its id plus only what the test is about. */
import { errorDetail } from '../../src/failure/errors.ts';
import type { ActionRuntimeState } from '../../src/plans/action-runtime-state.ts';
import type { ErrorCategory, ErrorDetail } from '../../src/schemas/errors.ts';
import { ExecutionPlanSchema, type ExecutionPlan } from '../../src/schemas/plan.ts';

export const PLAN_ID = '6f1c2a9e-3b7d-4c1e-9a2f-0d8e5b4c3a21';

/** What a test says about one action; everything else gets a neutral default. */
export interface ActionSpec {
  deps?: string[];
  inputs?: Record<string, string | number | boolean>;
  condition?: { if: string; else: 'skip' | 'fail' };
  continueOnFailure?: boolean;
  fallback?: Record<string, string>;
  alternative?: string;
  /** `userConfirmation.required: true`, with this timeout (ms) when given. */
  confirm?: { timeout?: number };
  definition?: string;
}

type Check = { name: string; reference: string; operator: 'exists' | 'equals' | 'contains' | 'matches'; value?: string };

/** One planned action as raw JSON (what a plan file holds). */
export function action(id: string, spec: ActionSpec = {}): Record<string, unknown> {
  const errorHandling: Record<string, unknown> = { continueOnFailure: spec.continueOnFailure ?? false };
  if (spec.fallback !== undefined) errorHandling['fallbackValue'] = spec.fallback;
  if (spec.alternative !== undefined) errorHandling['alternativeActionId'] = spec.alternative;
  const out: Record<string, unknown> = {
    id,
    actionDefinitionId: spec.definition ?? 'get-user',
    inputs: spec.inputs ?? {},
    dependencies: spec.deps ?? [],
    errorHandling,
  };
  if (spec.condition !== undefined) out['condition'] = { if: spec.condition.if, then: 'execute', else: spec.condition.else };
  if (spec.confirm !== undefined) {
    const confirmation: Record<string, unknown> = { required: true, title: `Run ${id}?`, message: `About to run ${id}` };
    if (spec.confirm.timeout !== undefined) confirmation['timeout'] = spec.confirm.timeout;
    out['userConfirmation'] = confirmation;
  }
  return out;
}

/** A whole plan as raw JSON around the given actions and expected-outcome checks. */
export function rawPlan(actions: unknown[], validations: Check[] = []): Record<string, unknown> {
  return {
    id: PLAN_ID,
    name: 'Customer onboarding',
    description: 'Creates a customer and tells them',
    intent: { original: 'onboard the customer', interpreted: 'create, then notify', confidence: 0.9 },
    actions,
    expectedOutcome: { description: 'the customer exists', validations },
    metadata: { createdAt: '2026-01-01T00:00:00Z', estimatedDuration: 1000, tags: [] },
  };
}

/** A schema-valid ExecutionPlan (parsing fails the test if a fixture is not). */
export function plan(actions: Record<string, unknown>[], validations: Check[] = []): ExecutionPlan {
  return ExecutionPlanSchema.parse(rawPlan(actions, validations));
}

/** A failure as the single-action executor records it. */
export function failure(message = 'POST /customers answered 500', category: ErrorCategory = 'api_unexpected_status'): ErrorDetail {
  return errorDetail(category, message, { code: 'TEST_FAILURE' });
}

/** Action states in the shape the runner records. */
export const states = {
  running: (startedAt = 0): ActionRuntimeState => ({ status: 'running', startedAt }),
  completed: (output: Record<string, string> = {}, startedAt = 0, endedAt = startedAt + 10): ActionRuntimeState => ({ status: 'completed', output, startedAt, endedAt }),
  failed: (error: ErrorDetail = failure(), startedAt = 0, endedAt = startedAt + 10): ActionRuntimeState => ({ status: 'failed', error, startedAt, endedAt }),
  skipped: (reason: string, endedAt = 10): ActionRuntimeState => ({ status: 'skipped', reason, endedAt }),
  waiting: (): ActionRuntimeState => ({ status: 'waiting_confirmation' }),
};

/** Epoch ms as the ISO text confirmations record. */
export const iso = (ms: number): string => new Date(ms).toISOString();
