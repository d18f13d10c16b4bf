/**
 * The client-side rate limit of `ActionDefinition.rateLimit`: one durable token bucket per definition
 * and scope in the journal, so the limit holds across restarts and across processes sharing it.
 */
import { createHash } from 'node:crypto';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { PreparedRequest } from '../http/http-types.ts';
import type { Journal } from '../../storage/journal.ts';
import type { Settled } from './step.ts';

/**
 * Who the request acts as, for `per_user` limits: a short hash of the credential values (they are the
 * user's identity towards the API; the values themselves are never stored).
 */
function userFingerprint(credentials: Readonly<Record<string, string>>): string {
  const values = Object.keys(credentials).sort().map((name) => `${name}=${credentials[name] ?? ''}`);
  return values.length === 0 ? 'anonymous' : `user-${createHash('sha256').update(values.join('\n')).digest('hex').slice(0, 16)}`;
}

/** Takes a token for this request; when none is left, the THROTTLED step that waits for one. */
export async function takeClientToken(
  journal: Journal,
  definition: ActionDefinition,
  prepared: PreparedRequest,
  credentials: Readonly<Record<string, string>>,
  now: number,
): Promise<Settled | undefined> {
  const limit = definition.rateLimit;
  if (!limit) return undefined;
  const scope = limit.scope === 'per_ip' ? new URL(prepared.url).host : limit.scope === 'per_user' ? userFingerprint(credentials) : 'global';
  const token = await journal.takeRateToken(`${definition.id}:${scope}`, limit.requests, limit.window, now);
  if (token.granted) return undefined;
  const reason = `client-side rate limit of ${definition.id} (${limit.requests} requests per ${limit.window} ms, ${limit.scope}) reached; waiting ${token.waitMs} ms`;
  return { event: { type: 'THROTTLED', until: now + token.waitMs, delayMs: token.waitMs, reason }, facts: { now } };
}
