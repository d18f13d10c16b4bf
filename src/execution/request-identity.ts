/**
 * The identity of a durable execution (DESIGN §4 "Identity"): keyed by (executionId, action.id),
 * fingerprinted by the SHA-256 of the canonical JSON of the request. Credential *values* are left out
 * of both the fingerprint and the stored copy — secrets never reach disk, and rotating a token must
 * not turn a resubmission into a "different request". Their names stay, so a resume can say which
 * credential it still needs.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import { PlannedActionSchema } from '../schemas/plan.ts';
import { actionError } from '../failure/errors.ts';
import { formatZodIssues } from '../support/zod-issues.ts';

/** JSON with object keys sorted at every level, so equal values always hash equal. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The request as journaled: credentials reduced to their names. */
export interface StoredRequest {
  executionId: string;
  action: ActionExecuteRequest['action'];
  context: { previousResults: Record<string, string>; credentialNames: string[] };
}

const StoredRequestSchema = z.object({
  executionId: z.string(),
  action: PlannedActionSchema,
  context: z.object({ previousResults: z.record(z.string(), z.string()), credentialNames: z.array(z.string()) }),
});

/**
 * The journaled request of an execution, checked before a resume runs it: a row changed outside the
 * executor is refused as STORED_REQUEST_INVALID naming the execution and the JSON paths, instead of
 * failing somewhere inside the run on a missing property.
 */
export function storedRequestOf(record: { executionId: string; actionId: string; request: unknown }): StoredRequest {
  const parsed = StoredRequestSchema.safeParse(record.request);
  if (parsed.success) return record.request as StoredRequest;
  throw actionError('state_inconsistent', `The journaled request of execution ${record.executionId} / ${record.actionId} is not a request this executor can run:\n${formatZodIssues(parsed.error.issues)}`, {
    code: 'STORED_REQUEST_INVALID',
    context: { executionId: record.executionId, actionId: record.actionId },
    suggestion: 'The journal row was changed outside the executor; cancel the execution and resubmit the request.',
  });
}

export function toStoredRequest(request: ActionExecuteRequest): StoredRequest {
  return {
    executionId: request.executionId,
    action: request.action,
    context: {
      previousResults: request.context.previousResults,
      credentialNames: Object.keys(request.context.credentials).sort(),
    },
  };
}

export function requestHash(request: ActionExecuteRequest): string {
  return createHash('sha256').update(canonicalJson(toStoredRequest(request))).digest('hex');
}
