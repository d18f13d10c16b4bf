/**
 * The `action-execute` task's payload schema, which the platform runs before `run()`: it is
 * ActionExecuteRequestSchema itself (so the dashboard derives the payload's JSON Schema from it), except
 * that a payload it refuses fails with the executor's message — one `$.path: expected …` line per
 * problem, as `execute` reports INVALID_REQUEST — rather than zod's JSON dump of issues. The platform
 * wraps the error in a TaskPayloadParsedError and fails the run without retries.
 */
import { z } from 'zod';
import { actionError } from '../failure/errors.ts';
import { ActionExecuteRequestSchema, type ActionExecuteRequest } from '../schemas/job.ts';
import { formatZodIssues } from '../support/zod-issues.ts';

/** Parses a payload, or throws ActionError `validation_failed` / `INVALID_REQUEST` naming each JSON path. */
export function parseActionExecutePayload(payload: unknown): ActionExecuteRequest {
  const parsed = ActionExecuteRequestSchema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw actionError('validation_failed', `The action.execute.requested payload is invalid:\n${formatZodIssues(parsed.error.issues)}`, {
    code: 'INVALID_REQUEST',
    context: Object.fromEntries(parsed.error.issues.slice(0, 10).map((issue) => [`$.${issue.path.join('.')}`, issue.message])),
    suggestion: 'Fix the payload so it matches the action.execute.requested schema (spec §3.2).',
  });
}

/**
 * ActionExecuteRequestSchema with `parse` / `parseAsync` (what the platform calls) replaced by
 * {@link parseActionExecutePayload}; everything else — the JSON Schema, `safeParse` — is the schema's own.
 */
export const ActionExecutePayloadSchema: typeof ActionExecuteRequestSchema = Object.assign(Object.create(ActionExecuteRequestSchema) as typeof ActionExecuteRequestSchema, {
  parse: (payload: unknown) => parseActionExecutePayload(payload),
  parseAsync: async (payload: unknown) => parseActionExecutePayload(payload),
});

// zod keeps a schema's description in a registry keyed by the schema object: give the wrapper the same.
const described = z.globalRegistry.get(ActionExecuteRequestSchema);
if (described) z.globalRegistry.add(ActionExecutePayloadSchema, described);
