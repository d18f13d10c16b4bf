/**
 * Taking an execution's lease for the executor (DESIGN §6 "Single writer, fenced"), optionally waiting
 * for it (`execute(request, { waitForLease })`, the CLI's `--wait`). The journal decides who may take
 * a lease and proves dead holders dead (an owner lock the kernel released); this module turns a
 * refusal into the LEASE_HELD error the CLI reports as "busy", and waits by polling — the holder
 * finishing, dying or letting its lease expire each free it — never longer than asked.
 */
import type { Logger } from 'pino';
import { actionError, type ActionError } from '../failure/errors.ts';
import type { Clock } from '../support/clock.ts';
import type { ExecutionKey, ExecutionRecord, Fence, Journal, LeaseOwner } from '../../storage/journal.ts';

/** How often a waiting acquisition asks again (the holder may end at any moment). */
export const LEASE_POLL_MS = 250;

export interface LeaseAcquisition {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  ttlMs: number;
  /** Wait up to this many ms for a live holder to end. @default 0 (refuse at once) */
  waitMs?: number | undefined;
  /** Aborts a wait (the executor's interrupt): rejects with its reason. */
  signal?: AbortSignal | undefined;
}

/**
 * The refusal: `state_inconsistent` / `LEASE_HELD`, retryable, with what the CLI needs to say who is
 * busy and until when (`holderPid`, `holderHost`, `expiresAt`; `waitedMs` after a wait).
 */
export function leaseHeldError(key: ExecutionKey, heldBy: LeaseOwner, expiresAt: number, waitedMs: number): ActionError {
  const waited = waitedMs > 0 ? ` Waited ${waitedMs} ms for it to end.` : '';
  return actionError(
    'state_inconsistent',
    `Execution ${key.executionId} / ${key.actionId} is being run by another live process (pid ${heldBy.pid} on ${heldBy.host}); its lease runs until ${new Date(expiresAt).toISOString()} unless renewed.${waited}`,
    {
      code: 'LEASE_HELD',
      retryable: true,
      context: {
        executionId: key.executionId,
        actionId: key.actionId,
        holderPid: String(heldBy.pid),
        holderHost: heldBy.host,
        expiresAt: new Date(expiresAt).toISOString(),
        ...(waitedMs > 0 ? { waitedMs: String(waitedMs) } : {}),
      },
      suggestion: 'Let that process finish it (resubmitting returns its result), or wait for it: `--wait` on the CLI.',
    },
  );
}

/**
 * Takes the lease of `key`, or throws LEASE_HELD. With `waitMs`, a refusal is retried every
 * {@link LEASE_POLL_MS} (sooner when the lease expires first) until it is taken or `waitMs` has passed
 * on the executor's clock. Returns the fence and the execution as it stands under the new lease.
 */
export async function acquireExecutionLease(key: ExecutionKey, options: LeaseAcquisition): Promise<{ fence: Fence; record: ExecutionRecord }> {
  const { journal, clock, logger } = options;
  const started = clock.now();
  const deadline = started + Math.max(0, options.waitMs ?? 0);
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const lease = await journal.acquireLease(key, clock.now(), options.ttlMs);
    if (lease.acquired) {
      if (lease.tookOverFrom) {
        logger.warn({ executionId: key.executionId, actionId: key.actionId, previousOwner: lease.tookOverFrom }, `took over the lease of execution ${key.executionId} / ${key.actionId} from pid ${lease.tookOverFrom.pid} on ${lease.tookOverFrom.host}: ${lease.reason ?? 'it was free'}`);
      }
      return { fence: lease.fence, record: lease.record };
    }
    const now = clock.now();
    if (now >= deadline) throw leaseHeldError(key, lease.heldBy, lease.expiresAt, now - started);
    await clock.sleepUntil(Math.min(deadline, lease.expiresAt, now + LEASE_POLL_MS), options.signal);
  }
}
