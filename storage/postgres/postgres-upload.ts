/**
 * One chunked save in its own transaction: BEGIN, chunk rows as the bytes arrive, then the object
 * row under the object's lock, and COMMIT — so the object appears only once complete. A process
 * that dies before the commit leaves nothing: its connection closes and Postgres aborts the
 * transaction. The caller owns the connection and rolls back on any failure.
 */
import type { PoolClient } from 'pg';
import { actionError } from '../../src/failure/errors.ts';
import type { SaveResult } from '../../src/schemas/storage.ts';
import { contentTypeOf, sameSummary } from '../storage-metadata.ts';
import type { SaveOptions } from '../streaming-storage-provider.ts';
import { BlobWriter, locationOf, nextBlobId, objectLockSql, publishObject } from './postgres-blob-writer.ts';

/** A save in progress. */
export interface Upload {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Publishes the object and commits. With `expected` (a BodySink's summary from the HTTP layer),
   * refuses with BODY_SUMMARY_MISMATCH when the bytes written differ, before anything is visible.
   */
  commit(options: SaveOptions, expected?: { size: number; sha256: string }): Promise<SaveResult>;
}

/** Where an upload goes. */
export interface UploadTarget {
  collection: string;
  id: string;
  chunkSize: number;
  /** The provider's credential-free URL, the prefix of every location's `path`. */
  baseUrl: string;
}

/** Begins the transaction and the blob of a chunked save on `client`. */
export async function beginUpload(client: PoolClient, target: UploadTarget): Promise<Upload> {
  const { collection, id, chunkSize, baseUrl } = target;
  await client.query('BEGIN');
  const writer = new BlobWriter(client, await nextBlobId(client), chunkSize);
  return {
    write: (chunk) => writer.write(chunk),
    async commit(options, expected) {
      const blob = await writer.finish();
      if (expected !== undefined && !sameSummary(blob, expected)) {
        throw actionError('state_inconsistent', `Body written to ${baseUrl}#${collection}/${id} does not match what the HTTP layer counted: ${blob.size} bytes with SHA-256 ${blob.sha256} written, ${expected.size} bytes with ${expected.sha256} reported. Nothing was stored.`, {
          code: 'BODY_SUMMARY_MISMATCH',
          context: { location: `${baseUrl}#${collection}/${id}`, writtenSize: String(blob.size), reportedSize: String(expected.size) },
          suggestion: 'Every chunk must be passed to write() exactly once, in order, before finish(); this is a bug in the caller.',
        });
      }
      const row = { ...blob, collection, id, chunkSize, contentType: contentTypeOf(options), metadata: { ...(options.metadata ?? {}) } };
      await client.query(objectLockSql(collection, id));
      await publishObject(client, row);
      await client.query('COMMIT');
      return locationOf(baseUrl, row);
    },
  };
}
