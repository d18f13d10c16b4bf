/**
 * Builders for the writes the conformance tests commit: a plausible execution and transitions with
 * every field a test does not care about filled in, so each test states only what it checks.
 */
import type { CreateWrite, ExecutionKey, Fence, Journal, TransitionWrite } from '../../../storage/journal.ts';

/** The execution most tests write to. */
export const KEY: ExecutionKey = { executionId: '7d1e0c8e-0000-4000-8000-000000000001', actionId: 'fetch-user' };

/** A key of its own for the `n`-th execution of a test. */
export function keyOf(n: number): ExecutionKey {
  return { executionId: `7d1e0c8e-0000-4000-8000-00000000${String(n).padStart(4, '0')}`, actionId: 'fetch-user' };
}

/** A create write for definition `get-user`. */
export function createWrite(more: Partial<Omit<CreateWrite, 'type'>> = {}): CreateWrite {
  return {
    type: 'create',
    definitionId: 'get-user',
    requestHash: 'hash-1',
    request: { action: { id: KEY.actionId, actionDefinitionId: 'get-user' }, inputs: { userId: '42' } },
    definition: { id: 'get-user', version: '1.0.0' },
    machineVersion: 'action-execution@1',
    stateValue: 'resolving',
    snapshot: { value: 'resolving', context: { attempt: 0 } },
    ...more,
  };
}

/** A transition from `resolving` to `to` (status running unless overridden). */
export function step(to: string, more: Partial<Omit<TransitionWrite, 'type'>> = {}): TransitionWrite {
  return { type: 'transition', from: 'resolving', to, event: `go.${to}`, snapshot: { value: to }, stateValue: to, status: 'running', attemptCount: 0, wakeAt: null, ...more };
}

/** Creates an unleased execution at `now` and returns its record. */
export async function createExecution(journal: Journal, key: ExecutionKey = KEY, now = 1000, more: Partial<Omit<CreateWrite, 'type'>> = {}) {
  const result = await journal.commit(key, [createWrite(more)], null, now);
  if (result.record === undefined) throw new Error('a create commit returned no record');
  return result.record;
}

/** Creates an execution leased to `journal` for `ttlMs` from `now` and returns its fence. */
export async function createLeased(journal: Journal, key: ExecutionKey = KEY, now = 1000, ttlMs = 30_000): Promise<Fence> {
  const result = await journal.commit(key, [createWrite({ leaseTtlMs: ttlMs })], null, now);
  if (result.fence === undefined) throw new Error('a create commit with leaseTtlMs returned no fence');
  return result.fence;
}

/** Takes the lease for `journal`, failing the test when it is refused, and returns the fence. */
export async function leased(journal: Journal, key: ExecutionKey, now: number, ttlMs = 30_000): Promise<Fence> {
  const result = await journal.acquireLease(key, now, ttlMs);
  if (!result.acquired) throw new Error(`lease refused: held by ${result.heldBy.id} until ${result.expiresAt}`);
  return result.fence;
}
