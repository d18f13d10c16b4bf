/**
 * The `plan-execute` task's payload (docs/trigger-dev.md "plan-execute"): the ExecutionPlan as-is,
 * plus which credentials the worker loads for it — by name only. Credential values never travel in a
 * payload (the platform stores payloads and shows them in the dashboard); the worker reads each from
 * its own environment (plan-credentials.ts).
 *
 * The platform parses the payload before `run()`. The plan is checked by `validatePlan` — the schema
 * and the plan's structure, and unknown fields too: zod alone would drop a misspelled
 * `userConfirmaton` without a word, and the action would run unconfirmed. What needs the worker's
 * definitions (an unknown `actionDefinitionId`) is checked in `run()`, with the same messages.
 */
import { z } from 'zod';
import { actionError } from '../failure/errors.ts';
import { ExecutionPlanSchema } from '../schemas/plan.ts';
import { validatePlan } from '../plans/plan-validation.ts';
import { jsonPath } from '../support/zod-issues.ts';

/** A credential name, as `${credentials.NAME}` spells it. */
const CredentialNameSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a credential name is letters, digits, "_" and "-", as in ${credentials.NAME}');

/** The payload's JSON Schema for the dashboard and `tasks.trigger` typing. */
export const PlanExecutePayloadSchema = z.object({
  plan: ExecutionPlanSchema.describe('The ExecutionPlan (spec §4.1) as-is; it never holds credentials'),
  credentials: z.array(CredentialNameSchema).optional()
    .describe('Names of the credentials the plan\'s actions use; each is read from the worker\'s environment variable ACTION_EXECUTOR_CREDENTIAL_<NAME>. Default: every such variable'),
  maxConcurrency: z.number().int().min(1).optional().describe('Actions of the plan running at once (default 4)'),
}).strict().describe('Payload of the plan-execute task');

/**
 * A parsed `plan-execute` payload. `credentials` defaults to every ACTION_EXECUTOR_CREDENTIAL_*
 * variable of the worker; `maxConcurrency` to 4 (PLAN_EXECUTOR_DEFAULTS.maxConcurrency).
 */
export type PlanExecutePayload = z.infer<typeof PlanExecutePayloadSchema>;

/** Everything around the plan; the plan itself is validated by validatePlan. */
const EnvelopeSchema = PlanExecutePayloadSchema.extend({ plan: z.unknown().optional() });

/** Lines shown in the error; the rest are counted. */
const LISTED = 10;

/**
 * Parses a payload, or throws ActionError `validation_failed` / `INVALID_REQUEST` listing every
 * problem as `$.path: message` (the plan's under `$.plan`).
 */
export function parsePlanExecutePayload(payload: unknown): PlanExecutePayload {
  const envelope = EnvelopeSchema.safeParse(payload);
  const problems = envelope.success ? [] : envelope.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
  const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
  const rawPlan = isObject ? (payload as Record<string, unknown>)['plan'] : undefined;
  if (isObject && rawPlan === undefined) problems.push({ path: '$.plan', message: 'missing: the payload carries the ExecutionPlan to run as "plan"' });
  // Unknown definitions are the worker's to judge: here any id passes.
  const plan = rawPlan === undefined ? undefined : validatePlan(rawPlan, { hasDefinition: () => true });
  if (plan?.ok === false) problems.push(...plan.problems.map((problem) => ({ path: `$.plan${problem.path.slice(1)}`, message: problem.message })));
  if (envelope.success && plan?.ok === true) {
    const { credentials, maxConcurrency } = envelope.data;
    return { plan: plan.plan, ...(credentials === undefined ? {} : { credentials }), ...(maxConcurrency === undefined ? {} : { maxConcurrency }) };
  }
  const unique = problems.filter((problem, i) => problems.findIndex((other) => other.path === problem.path && other.message === problem.message) === i);
  const lines = unique.slice(0, LISTED).map((problem) => `  ${problem.path}: ${problem.message}`);
  if (unique.length > LISTED) lines.push(`  … and ${unique.length - LISTED} more`);
  throw actionError('validation_failed', `The plan-execute payload is invalid:\n${lines.join('\n')}`, {
    code: 'INVALID_REQUEST',
    context: Object.fromEntries(unique.slice(0, LISTED).map((problem) => [problem.path, problem.message])),
    suggestion: 'Send { plan, credentials?, maxConcurrency? } with plan an ExecutionPlan (spec §4.1); credential values go in the worker\'s environment, never in the payload.',
  });
}

/**
 * PlanExecutePayloadSchema with `parse` / `parseAsync` (what the platform calls) replaced by
 * {@link parsePlanExecutePayload}; the JSON Schema and everything else are the schema's own.
 */
export const PlanExecuteTaskSchema: typeof PlanExecutePayloadSchema = Object.assign(Object.create(PlanExecutePayloadSchema) as typeof PlanExecutePayloadSchema, {
  parse: (payload: unknown) => parsePlanExecutePayload(payload),
  parseAsync: async (payload: unknown) => parsePlanExecutePayload(payload),
});

// zod keeps a schema's description in a registry keyed by the schema object: give the wrapper the same.
const described = z.globalRegistry.get(PlanExecutePayloadSchema);
if (described) z.globalRegistry.add(PlanExecuteTaskSchema, described);
