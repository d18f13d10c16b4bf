/**
 * Storage ids for an execution's artifacts. Action ids are free-form strings, so anything outside a
 * conservative alphabet is replaced by a short hash: the id stays readable and can never escape the
 * storage root.
 */
import { createHash } from 'node:crypto';
import type { ExecutionKey } from '../../storage/journal.ts';

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

export function storageIdFor(key: ExecutionKey, suffix: string): string {
  const action = SAFE.test(key.actionId)
    ? key.actionId
    : `h${createHash('sha256').update(key.actionId).digest('hex').slice(0, 16)}`;
  return `${key.executionId}.${action}.${suffix}`;
}
