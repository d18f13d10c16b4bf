/**
 * A response body that streamed to storage (over the inline limit), read back so it is interpreted
 * like a small one (issue 13 item 7; DESIGN §4 "Response → output", EXEC-010 at any size): JSON is
 * parsed, validated and mapped to output fields whatever its size, up to a cap. Memory stays bounded
 * by that cap — a body over it is refused before a byte is read, and said to be too large to map —
 * and the journal keeps only the body's location. The bytes are checked against the size and SHA-256
 * journaled when they were received, so a file changed on disk is never mistaken for the response.
 */
import { createHash } from 'node:crypto';
import { errorDetail, isActionError } from '../../failure/errors.ts';
import type { ErrorDetail } from '../../schemas/errors.ts';
import type { StorageLocation } from '../../schemas/storage.ts';
import type { StreamingStorageProvider } from '../../../storage/streaming-storage-provider.ts';
import { interpretBody, type BodyContext, type InterpretedBody } from './body-interpretation.ts';

/** The largest stored body read back to be parsed and mapped (64 MiB); larger ones stay a location. */
export const DEFAULT_MAX_MAPPED_BODY_BYTES = 64 * 1024 * 1024;

/** Where the body is in storage (collection and id) and what the journal recorded about it. */
export interface StoredBodyRef {
  collection: string;
  id: string;
  location: StorageLocation;
}

/** The interpreted body, or why it cannot be: over the cap, gone, or no longer the bytes received. */
export type StoredBodyResult =
  | { ok: true; body: InterpretedBody }
  | { ok: false; reason: 'too_large' | 'missing' | 'corrupt'; error: ErrorDetail };

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** The OUTPUT_TOO_LARGE failure: a body over the cap cannot be checked against outputSchema. */
export function tooLargeToMap(operation: string, ref: StoredBodyRef, maxBytes: number): ErrorDetail {
  const { location } = ref;
  return errorDetail(
    'validation_failed',
    `${operation}: the ${location.size}-byte (${mib(location.size)}) ${location.contentType || 'response'} body is too large to map to output fields: bodies over ${maxBytes} bytes (${mib(maxBytes)}, maxMappedBodyBytes) are stored, not parsed, so it cannot be checked against outputSchema. It is stored at ${location.path}.`,
    {
      code: 'OUTPUT_TOO_LARGE',
      context: { size: String(location.size), maxMappedBodyBytes: String(maxBytes), path: location.path },
      suggestion: 'Ask the API for less (paging, field selection), drop outputSchema to keep the body as a stored file, or raise maxMappedBodyBytes.',
    },
  );
}

function missing(operation: string, ref: StoredBodyRef): ErrorDetail {
  return errorDetail('state_inconsistent', `${operation}: the ${ref.location.size}-byte response body stored at ${ref.location.path} is gone, so it cannot be checked against outputSchema or mapped to output fields.`, {
    code: 'STORED_BODY_MISSING',
    context: { path: ref.location.path, collection: ref.collection, id: ref.id },
    suggestion: 'Something removed files under the storage directory while the execution ran. Resubmit under a new executionId to fetch the response again.',
  });
}

function corrupt(operation: string, ref: StoredBodyRef, found: { size: number; sha256: string } | string): ErrorDetail {
  const now = typeof found === 'string' ? found : `it now has ${found.size} bytes with SHA-256 ${found.sha256}`;
  return errorDetail(
    'state_inconsistent',
    `${operation}: the response body stored at ${ref.location.path} is no longer the one received (${ref.location.size} bytes with SHA-256 ${ref.location.checksum}); ${now}. It was changed outside action-executor, so it is not used.`,
    {
      code: 'STORED_BODY_CORRUPT',
      context: { path: ref.location.path, recordedSha256: ref.location.checksum, recordedSize: String(ref.location.size) },
      suggestion: 'Find what writes to the storage directory. Resubmit under a new executionId to fetch the response again.',
    },
  );
}

/**
 * Reads a stored body back (at most `maxBytes`), checks it against its journaled size and SHA-256, and
 * interprets it as {@link interpretBody} does a body held in memory. Storage faults (a read error, a
 * database down) are thrown: they are infrastructure, and a resume reads again.
 */
export async function readStoredBody(storage: StreamingStorageProvider, ref: StoredBodyRef, ctx: BodyContext, maxBytes: number): Promise<StoredBodyResult> {
  if (ref.location.size > maxBytes) return { ok: false, reason: 'too_large', error: tooLargeToMap(ctx.operation, ref, maxBytes) };
  const hash = createHash('sha256');
  // One buffer of the journaled size: the body is held once, never more than the cap.
  const bytes = Buffer.allocUnsafe(ref.location.size);
  let size = 0;
  try {
    const stream = await storage.loadStream(ref.collection, ref.id);
    if (stream === null) return { ok: false, reason: 'missing', error: missing(ctx.operation, ref) };
    for await (const chunk of stream) {
      // Grown past what was received: it is not the response, and reading on would break the cap.
      if (size + chunk.byteLength > ref.location.size) return { ok: false, reason: 'corrupt', error: corrupt(ctx.operation, ref, `it now holds more than ${ref.location.size} bytes`) };
      hash.update(chunk);
      bytes.set(chunk, size);
      size += chunk.byteLength;
    }
  } catch (error) {
    // A provider that checks its own record (Postgres) reports a changed or incomplete object itself.
    if (isActionError(error) && (error.detail.code === 'STORAGE_CHECKSUM_MISMATCH' || error.detail.code === 'STORAGE_OBJECT_INCOMPLETE')) {
      return { ok: false, reason: 'corrupt', error: corrupt(ctx.operation, ref, error.detail.message) };
    }
    throw error;
  }
  const sha256 = hash.digest('hex');
  if (size !== ref.location.size || sha256 !== ref.location.checksum) return { ok: false, reason: 'corrupt', error: corrupt(ctx.operation, ref, { size, sha256 }) };
  return { ok: true, body: interpretBody(bytes, ctx) };
}
