/**
 * Reading a stored object back from its chunk rows, whole or as a stream, and refusing to hand out
 * bytes that are not what was stored: a missing, extra or out-of-order chunk, a wrong size or a
 * SHA-256 that differs from the recorded one is an error (`STORAGE_OBJECT_INCOMPLETE`,
 * `STORAGE_CHECKSUM_MISMATCH`), never data.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { actionError, type ActionError } from '../../src/failure/errors.ts';
import { CHUNKS_TABLE, OBJECTS_TABLE } from './postgres-storage-schema.ts';

/** An object row as read back. */
export interface StoredObject {
  collection: string;
  id: string;
  blobId: string;
  size: number;
  sha256: string;
  chunkCount: number;
  /** Bytes per chunk when it was written (the last chunk may be shorter). */
  chunkSize: number;
  contentType: string;
  metadata: Record<string, string>;
}

/** One chunk row. */
export interface ChunkRow {
  seq: number;
  data: Buffer;
}

/** The columns {@link objectFromRow} expects, for `SELECT ${OBJECT_FIELDS} FROM ae_storage_objects o`. */
export const OBJECT_FIELDS = 'o.collection, o.id, o.blob_id::text AS blob_id, o.size::text AS size, o.sha256, o.chunk_count, o.chunk_size, o.content_type, o.metadata';

/** Reads one object's row; `$1` collection, `$2` id. */
export const SELECT_OBJECT = `SELECT ${OBJECT_FIELDS} FROM ${OBJECTS_TABLE} o WHERE o.collection = $1 AND o.id = $2`;

/** Reads `$3` chunks of blob `$1` from seq `$2` on, in order. */
export const SELECT_CHUNKS = `SELECT seq, data FROM ${CHUNKS_TABLE} WHERE blob_id = $1::bigint AND seq >= $2::integer ORDER BY seq LIMIT $3::integer`;

/** A row of {@link OBJECT_FIELDS} as `pg` returns it. */
export interface ObjectRowData {
  collection: string;
  id: string;
  blob_id: string;
  size: string;
  sha256: string;
  chunk_count: number;
  chunk_size: number;
  content_type: string;
  metadata: Record<string, string>;
}

export function objectFromRow(row: ObjectRowData): StoredObject {
  return {
    collection: row.collection,
    id: row.id,
    blobId: row.blob_id,
    size: Number(row.size),
    sha256: row.sha256,
    chunkCount: row.chunk_count,
    chunkSize: row.chunk_size,
    contentType: row.content_type,
    metadata: row.metadata,
  };
}

function incomplete(object: StoredObject, location: string, problem: string): ActionError {
  return actionError('state_inconsistent', `Stored object ${location} is incomplete: ${problem}; its row records ${object.chunkCount} chunks, ${object.size} bytes. The chunk rows were changed or deleted outside action-executor.`, {
    code: 'STORAGE_OBJECT_INCOMPLETE',
    context: { location, collection: object.collection, id: object.id, blobId: object.blobId, recordedChunks: String(object.chunkCount), recordedSize: String(object.size) },
    suggestion: 'Do not trust this copy: save the item again (resuming the execution re-stores its result), or delete it.',
  });
}

function mismatch(object: StoredObject, location: string, size: number, sha256: string): ActionError {
  return actionError('state_inconsistent', `Stored object ${location} does not match its row: its chunks hold ${size} bytes with SHA-256 ${sha256}, the row records ${object.size} bytes with ${object.sha256}. A chunk was changed outside action-executor.`, {
    code: 'STORAGE_CHECKSUM_MISMATCH',
    context: { location, collection: object.collection, id: object.id, actualSha256: sha256, recordedSha256: object.sha256 },
    suggestion: 'Do not trust this copy: save the item again (resuming the execution re-stores its result), or delete it.',
  });
}

/** Checks that `rows` are chunks `from`, `from + 1`, … of `object`, `expected` of them. */
function checkSequence(object: StoredObject, location: string, rows: readonly ChunkRow[], from: number, expected: number): void {
  for (let index = 0; index < expected; index += 1) {
    const row = rows[index];
    if (row === undefined) throw incomplete(object, location, `chunk ${from + index} is missing`);
    if (row.seq !== from + index) throw incomplete(object, location, `chunk ${from + index} is missing (the next one found is ${row.seq})`);
  }
}

/** Running size and digest of the bytes read so far; `verify` compares them with the row. */
class Verifier {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;

  constructor(
    private readonly object: StoredObject,
    private readonly location: string,
  ) {}

  add(data: Buffer): void {
    this.hash.update(data);
    this.size += data.byteLength;
  }

  verify(): void {
    const sha256 = this.hash.digest('hex');
    if (this.size !== this.object.size || sha256 !== this.object.sha256) throw mismatch(this.object, this.location, this.size, sha256);
  }
}

/** The object's bytes from its chunk rows 0 … chunkCount − 1 (as read in one snapshot), verified. */
export function assembleObject(object: StoredObject, location: string, rows: readonly ChunkRow[]): Buffer {
  checkSequence(object, location, rows, 0, object.chunkCount);
  const verifier = new Verifier(object, location);
  for (const row of rows) verifier.add(row.data);
  verifier.verify();
  return rows.length === 1 ? (rows[0] as ChunkRow).data : Buffer.concat(rows.map((row) => row.data), object.size);
}

/** How a stream gets its chunks, and what it does when it ends (release the connection). */
export interface ChunkSource {
  /** Up to `count` chunks from seq `from` on, in order. */
  fetch(from: number, count: number): Promise<ChunkRow[]>;
  /** Called once, when the stream ends, fails or is destroyed. */
  close(): Promise<void>;
}

/**
 * A stream of the object's bytes that reads `batch` chunks at a time, so memory stays at a few
 * chunks whatever the object's size. The bytes are verified as they pass; the batch holding the
 * last chunk is held back until the whole object's SHA-256 matched, so a consumer that waits for
 * 'end' never takes a corrupt object for a good one (the stream fails with the ActionError).
 */
export function chunkStream(object: StoredObject, location: string, source: ChunkSource, batch: number): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      const verifier = new Verifier(object, location);
      for (let from = 0; from < object.chunkCount; from += batch) {
        const count = Math.min(batch, object.chunkCount - from);
        const rows = await source.fetch(from, count);
        checkSequence(object, location, rows, from, count);
        for (const row of rows) verifier.add(row.data);
        if (from + count >= object.chunkCount) verifier.verify();
        for (const row of rows) yield row.data;
      }
      if (object.chunkCount === 0) verifier.verify();
    } finally {
      await source.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
