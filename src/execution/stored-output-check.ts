/**
 * Verifying a completed execution's stored output when it is read back (issue 13 "deleted storage
 * files go unnoticed"; DESIGN §6 "a missing or corrupt stored file is reported, never described as
 * stored"). The journal records where the output was stored with its size and SHA-256; `get`,
 * `timeline` and a resubmission stream the stored bytes (bounded memory), and when they are gone or
 * differ, the returned state carries a {@link StorageWarning}. The recorded result is never changed:
 * the output fields come from the journal and are intact; only the stored copy is not.
 */
import { createHash } from 'node:crypto';
import { isActionError } from '../failure/errors.ts';
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { StorageLocation } from '../schemas/storage.ts';
import type { ExecutionKey } from '../../storage/journal.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import { storageIdFor } from './storage-ids.ts';
import { bodyItemOf } from './stored-body-output.ts';

/** What is wrong with a completed execution's stored output. */
export interface StorageWarning {
  /** `STORED_OUTPUT_MISSING`: no file there; `STORED_OUTPUT_CORRUPT`: other bytes; `STORED_OUTPUT_UNREADABLE`: storage failed. */
  code: 'STORED_OUTPUT_MISSING' | 'STORED_OUTPUT_CORRUPT' | 'STORED_OUTPUT_UNREADABLE';
  /** One sentence for a person: what was stored where, what is there now, what it means. */
  message: string;
  /** `outputLocation.path`. */
  path: string;
  /** What the journal recorded. */
  recorded: { size: number; sha256: string };
  /** What is stored now (corrupt only). */
  found?: { size: number; sha256: string };
}

/** A recorded state as read back: with a warning when its stored output is missing or corrupt. */
export type CheckedExecutionState = ActionExecutionState & { storageWarning?: StorageWarning };

/**
 * The storage items an execution's output can be: its output.json, or (for a body that streamed to
 * storage) an attempt's body. Locations name the item at the end of their path in both providers.
 */
function itemOf(location: StorageLocation, key: ExecutionKey, attempts: number): { collection: string; id: string } | undefined {
  const candidates = [{ collection: 'outputs', id: storageIdFor(key, 'output.json') }];
  for (let attempt = attempts; attempt >= 1; attempt -= 1) candidates.push(bodyItemOf(key, attempt));
  return candidates.find(({ collection, id }) => location.path.endsWith(`${collection}/${id}`));
}

/** SHA-256 and size of a stored item, streamed; null when it is not there. */
async function digestOf(storage: StreamingStorageProvider, item: { collection: string; id: string }): Promise<{ size: number; sha256: string } | null> {
  const stream = await storage.loadStream(item.collection, item.id);
  if (stream === null) return null;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Checks the stored output of a completed state; undefined when it is intact (or there is none to check). */
export async function checkStoredOutput(storage: StreamingStorageProvider, key: ExecutionKey, state: ActionExecutionState): Promise<StorageWarning | undefined> {
  if (state.result?.status !== 'success') return undefined;
  const location = state.result.outputLocation;
  const item = itemOf(location, key, state.attempts);
  if (item === undefined) return undefined;
  const recorded = { size: location.size, sha256: location.checksum };
  const where = `The output of ${key.actionId} was stored at ${location.path} (${location.size} bytes, SHA-256 ${location.checksum.slice(0, 12)}…)`;
  const kept = 'The recorded result is unchanged and its output fields come from the journal; only the stored copy is affected.';
  let found: { size: number; sha256: string } | null;
  try {
    found = await digestOf(storage, item);
  } catch (error) {
    const reason = isActionError(error) ? error.detail.message : error instanceof Error ? error.message : String(error);
    // A provider that checks its own record (Postgres) reports a changed object as a checksum mismatch.
    const corrupt = isActionError(error) && (error.detail.code === 'STORAGE_CHECKSUM_MISMATCH' || error.detail.code === 'STORAGE_OBJECT_INCOMPLETE');
    return {
      code: corrupt ? 'STORED_OUTPUT_CORRUPT' : 'STORED_OUTPUT_UNREADABLE',
      message: `${where}, but ${corrupt ? 'it was changed' : 'it could not be read'}: ${reason} ${kept}`,
      path: location.path,
      recorded,
    };
  }
  if (found === null) {
    return { code: 'STORED_OUTPUT_MISSING', message: `${where}, but that file no longer exists. ${kept}`, path: location.path, recorded };
  }
  if (found.size === recorded.size && found.sha256 === recorded.sha256) return undefined;
  return {
    code: 'STORED_OUTPUT_CORRUPT',
    message: `${where}, but it was changed outside action-executor: it now has ${found.size} bytes with SHA-256 ${found.sha256.slice(0, 12)}…, so do not trust that file. ${kept}`,
    path: location.path,
    recorded,
    found,
  };
}

/** The state with its storage warning, when there is one (the state itself is not modified). */
export async function withStorageCheck(storage: StreamingStorageProvider, key: ExecutionKey, state: ActionExecutionState): Promise<CheckedExecutionState> {
  const warning = await checkStoredOutput(storage, key, state);
  return warning === undefined ? state : { ...state, storageWarning: warning };
}
