/**
 * The identity of a durable execution (DESIGN §4 "Identity"): keyed by (executionId, action.id),
 * fingerprinted by the SHA-256 of the canonical JSON of the request. Credential *values* are left out
 * of both the fingerprint and the stored copy — secrets never reach disk, and rotating a token must
 * not turn a resubmission into a "different request". Their names stay, so a resume can say which
 * credential it still needs.
 */
import { createHash } from 'node:crypto';
import type { ActionExecuteRequest } from '../schemas/job.ts';

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
