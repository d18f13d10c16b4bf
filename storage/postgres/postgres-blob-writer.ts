/**
 * Writing one stored object's bytes as chunk rows, and publishing the object, inside a transaction
 * the caller owns. Bytes are cut into fixed-size chunks as they arrive, so a body of any size costs
 * one chunk of memory; the SHA-256 and size are computed on the way. Nothing is visible to readers
 * until `publishObject` has run and the caller's transaction commits.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { SaveResult } from '../../src/schemas/storage.ts';
import { BLOB_ID_SEQUENCE, CHUNKS_TABLE, OBJECTS_TABLE, OBJECT_LOCK_NAMESPACE } from './postgres-storage-schema.ts';

/** What a finished blob holds. */
export interface BlobSummary {
  blobId: string;
  size: number;
  sha256: string;
  chunkCount: number;
}

/** The object row that makes a blob visible under `collection`/`id`. */
export interface ObjectRow extends BlobSummary {
  collection: string;
  id: string;
  chunkSize: number;
  contentType: string;
  metadata: Record<string, string>;
}

/** A new blob id. bigint columns come back as strings from `pg`, and stay strings here. */
export async function nextBlobId(client: PoolClient): Promise<string> {
  const result = await client.query<{ blob_id: string }>(`SELECT nextval('${BLOB_ID_SEQUENCE}')::text AS blob_id`);
  const blobId = result.rows[0]?.blob_id;
  if (blobId === undefined) throw new Error(`nextval('${BLOB_ID_SEQUENCE}') returned no row`);
  return blobId;
}

/**
 * The second key of the object's advisory lock: 32 bits of SHA-256 over collection and id. Two
 * different objects may share one (they then publish one after the other, which is harmless).
 */
export function objectLockKey(collection: string, id: string): number {
  return createHash('sha256').update(`${collection}\u0000${id}`).digest().readInt32BE(0);
}

/** SQL that takes the object's publish lock; the keys are integers, so they may be spliced in. */
export function objectLockSql(collection: string, id: string): string {
  return `SELECT pg_advisory_xact_lock(${OBJECT_LOCK_NAMESPACE}, ${objectLockKey(collection, id)})`;
}

/** Cuts the bytes written into `chunkSize` rows of one blob. */
export class BlobWriter {
  private readonly hash = createHash('sha256');
  private size = 0;
  private seq = 0;
  private buffer: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly client: PoolClient,
    readonly blobId: string,
    private readonly chunkSize: number,
  ) {}

  /** Copies `chunk` in (the caller may reuse its buffer once this resolves); full chunks are inserted. */
  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
    let offset = 0;
    while (offset < chunk.byteLength) {
      this.buffer ??= Buffer.allocUnsafe(this.chunkSize);
      const take = Math.min(this.chunkSize - this.filled, chunk.byteLength - offset);
      this.buffer.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.chunkSize) await this.flush();
    }
  }

  /** Inserts the last, partial chunk and says what the blob holds. */
  async finish(): Promise<BlobSummary> {
    if (this.filled > 0) await this.flush();
    this.buffer = undefined;
    return { blobId: this.blobId, size: this.size, sha256: this.hash.digest('hex'), chunkCount: this.seq };
  }

  private async flush(): Promise<void> {
    const data = (this.buffer as Buffer).subarray(0, this.filled);
    // pg copies a Buffer parameter into the outgoing message, so the buffer is free again after this.
    await this.client.query({
      name: 'ae_storage_insert_chunk',
      text: `INSERT INTO ${CHUNKS_TABLE} (blob_id, seq, data) VALUES ($1::bigint, $2::integer, $3::bytea)`,
      values: [this.blobId, this.seq, data],
    });
    this.seq += 1;
    this.filled = 0;
  }
}

const OBJECT_COLUMNS = 'collection, id, blob_id, size, sha256, chunk_count, chunk_size, content_type, metadata, stored_at';
const REPLACE_OBJECT = `ON CONFLICT (collection, id) DO UPDATE SET blob_id = EXCLUDED.blob_id, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
  chunk_count = EXCLUDED.chunk_count, chunk_size = EXCLUDED.chunk_size, content_type = EXCLUDED.content_type,
  metadata = EXCLUDED.metadata, stored_at = EXCLUDED.stored_at`;

/**
 * Points `collection`/`id` at the blob and deletes the chunks of the blob it replaces. The caller
 * must hold the object's lock ({@link objectLockSql}) in this transaction: that serializes the
 * publishers of one object, so "the blob it replaces" is read after every earlier publish has
 * committed and no replaced blob is ever left behind.
 */
export async function publishObject(client: PoolClient, row: ObjectRow): Promise<void> {
  await client.query({
    name: 'ae_storage_publish_object',
    text: `WITH old AS (SELECT blob_id FROM ${OBJECTS_TABLE} WHERE collection = $1 AND id = $2),
      removed AS (DELETE FROM ${CHUNKS_TABLE} WHERE blob_id IN (SELECT blob_id FROM old))
      INSERT INTO ${OBJECTS_TABLE} (${OBJECT_COLUMNS})
      VALUES ($1, $2, $3::bigint, $4::bigint, $5, $6::integer, $7::integer, $8, $9::jsonb, now()) ${REPLACE_OBJECT}`,
    values: [row.collection, row.id, row.blobId, row.size, row.sha256, row.chunkCount, row.chunkSize, row.contentType, JSON.stringify(row.metadata)],
  });
}

/**
 * Stores an object that fits in one chunk with a single statement: a new blob id, its one chunk
 * (none when empty), the object row, and the removal of the replaced blob. The caller holds the
 * object's lock, as for {@link publishObject}.
 */
export async function publishSmallObject(client: PoolClient, row: Omit<ObjectRow, 'blobId' | 'chunkCount'>, data: Buffer): Promise<string> {
  const result = await client.query<{ blob_id: string }>({
    name: 'ae_storage_publish_small_object',
    text: `WITH blob AS (SELECT nextval('${BLOB_ID_SEQUENCE}') AS blob_id),
      old AS (SELECT blob_id FROM ${OBJECTS_TABLE} WHERE collection = $1 AND id = $2),
      removed AS (DELETE FROM ${CHUNKS_TABLE} WHERE blob_id IN (SELECT blob_id FROM old)),
      chunk AS (INSERT INTO ${CHUNKS_TABLE} (blob_id, seq, data) SELECT blob_id, 0, $8::bytea FROM blob WHERE $3::bigint > 0),
      object AS (INSERT INTO ${OBJECTS_TABLE} (${OBJECT_COLUMNS})
        SELECT $1, $2, blob_id, $3::bigint, $4, CASE WHEN $3::bigint > 0 THEN 1 ELSE 0 END, $5::integer, $6, $7::jsonb, now() FROM blob ${REPLACE_OBJECT})
      SELECT blob_id::text AS blob_id FROM blob`,
    values: [row.collection, row.id, row.size, row.sha256, row.chunkSize, row.contentType, JSON.stringify(row.metadata), data],
  });
  const blobId = result.rows[0]?.blob_id;
  if (blobId === undefined) throw new Error('storing a small object returned no blob id');
  return blobId;
}

/** The StorageLocation of a stored object (`path` is a URL without credentials). */
export function locationOf(baseUrl: string, row: { collection: string; id: string; size: number; sha256: string; contentType: string; metadata: Record<string, string> }): SaveResult {
  return { provider: 'postgres', path: `${baseUrl}#${row.collection}/${row.id}`, size: row.size, checksum: row.sha256, contentType: row.contentType, metadata: row.metadata };
}
