/**
 * A plan's confirmations as Trigger.dev waitpoint tokens (docs/trigger-dev.md "plan-execute").
 *
 * Each recorded confirmation request gets a token whose **idempotency key** is derived from the
 * request itself — plan, action, `requestedAt` — and a round number that only grows when an answer is
 * refused. So a platform retry that re-runs `run()` from the top, on any machine, gets the same token
 * back (`isCached`), already completed if someone answered while no run was waiting. The token's
 * timeout is what is left of the plan's own deadline (`requestedAt + userConfirmation.timeout`): the
 * token times out when the plan's durable timeout falls due, and the plan, not the token, records the
 * rejection.
 */
import { wait } from '@trigger.dev/sdk';
import { InfrastructureError } from '../failure/errors.ts';
import { platformWaitLane, type PlatformWaitLane } from './platform-wait-lane.ts';
import { planExecutionTag } from './trigger-plan-execution.ts';

/** An unanswered confirmation request of a paused plan. */
export interface PendingConfirmation {
  planId: string;
  actionId: string;
  /** The plan's `userConfirmation.title` and `message`. */
  title: string;
  message: string;
  /** When the plan recorded the request (ISO 8601). */
  requestedAt: string;
  /** When the plan rejects it automatically (epoch ms); absent without a timeout. */
  dueAt?: number;
}

/** A token as the platform issued it: what a UI or a script needs to complete it. */
export interface IssuedToken {
  /** `waitpoint_…`: for `wait.completeToken(id, answer)` with the project's secret key. */
  id: string;
  /** The HTTP callback: POST the answer itself as the JSON body (server to server; no CORS). */
  url: string;
  /** Scoped to this token (`write:waitpoints:<id>`), valid 24 h: for `POST /api/v1/waitpoints/tokens/<id>/complete` from a browser. */
  publicAccessToken: string;
  /** True when the key had issued it before (a retry, or a later round of the same run). */
  isCached: boolean;
}

/** How a token wait ended. */
export type TokenOutcome = { ok: true; output: unknown } | { ok: false; message: string };

/** Issuing and waiting for confirmation tokens (the platform's, or a test's). */
export interface ConfirmationTokens {
  /** Issues (or, for a key issued before, returns) the token of `confirmation`'s `round`. */
  issue(confirmation: PendingConfirmation, round: number, now: number): Promise<IssuedToken>;
  /** Blocks the run until the token is completed or times out; rejects with the signal's reason on abort. */
  wait(tokenId: string, signal?: AbortSignal): Promise<TokenOutcome>;
}

const DAY_MS = 86_400_000;

/** Days an idempotency key outlives a deadline: a retry that late still finds its token. */
const KEY_GRACE_DAYS = 7;

/** Idempotency key TTL of a token without a deadline. */
const KEY_TTL_WITHOUT_DEADLINE = '30d';

/** The idempotency key of a confirmation's token in `round` (0 first, +1 after each refused answer). */
export function confirmationTokenKey(confirmation: Pick<PendingConfirmation, 'planId' | 'actionId' | 'requestedAt'>, round: number): string {
  return `plan-confirmation:${confirmation.planId}:${confirmation.actionId}:${confirmation.requestedAt}:${round}`;
}

/** Tags a backend filters tokens by (`wait.listTokens({ tags: ['plan:<id>'], status: 'WAITING' })`). */
export function confirmationTokenTags(confirmation: Pick<PendingConfirmation, 'planId' | 'actionId'>): string[] {
  return [planExecutionTag(confirmation.planId), `action:${confirmation.actionId}`].map((tag) => tag.slice(0, 127));
}

/**
 * The token timeout for a deadline: the seconds left, rounded up, at least 1. A period rather than a
 * date, because the platform drops a date it thinks has passed and the token would never time out.
 */
export function tokenTimeout(dueAt: number, now: number): string {
  return `${Math.max(1, Math.ceil((dueAt - now) / 1000))}s`;
}

/** How long the idempotency key lives: past the deadline by a week, or 30 days without one. */
export function tokenKeyTtl(dueAt: number | undefined, now: number): string {
  if (dueAt === undefined) return KEY_TTL_WITHOUT_DEADLINE;
  return `${Math.ceil(Math.max(0, dueAt - now) / DAY_MS) + KEY_GRACE_DAYS}d`;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `promise`, or a rejection as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const aborted = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * The platform's tokens: `wait.createToken` and `wait.forToken`, the wait through the process's
 * {@link PlatformWaitLane}. A failing platform call is infrastructure: the run stops without
 * recording anything and the platform's retry asks again (and gets the same token).
 */
export function platformConfirmationTokens(lane: PlatformWaitLane = platformWaitLane): ConfirmationTokens {
  return {
    async issue(confirmation, round, now) {
      try {
        const token = await wait.createToken({
          idempotencyKey: confirmationTokenKey(confirmation, round),
          idempotencyKeyTTL: tokenKeyTtl(confirmation.dueAt, now),
          ...(confirmation.dueAt === undefined ? {} : { timeout: tokenTimeout(confirmation.dueAt, now) }),
          tags: confirmationTokenTags(confirmation),
        });
        return { id: token.id, url: token.url, publicAccessToken: token.publicAccessToken, isCached: token.isCached };
      } catch (error) {
        throw new InfrastructureError(
          `Creating the waitpoint token for the confirmation of "${confirmation.actionId}" (plan ${confirmation.planId}) failed: ${reasonOf(error)}. Nothing was recorded; the platform's retry asks for the same token again.`,
          { cause: error },
        );
      }
    },
    async wait(tokenId, signal) {
      const waited = lane.run(async (): Promise<TokenOutcome> => {
        const result = await wait.forToken<unknown>(tokenId);
        return result.ok ? { ok: true, output: result.output } : { ok: false, message: result.error.message };
      }, signal).catch((error: unknown) => {
        if (signal?.aborted) throw error;
        throw new InfrastructureError(`Waiting for the waitpoint token ${tokenId} failed: ${reasonOf(error)}. Nothing was recorded; the platform's retry waits for the same token again.`, { cause: error });
      });
      return raceAbort(waited, signal);
    },
  };
}
