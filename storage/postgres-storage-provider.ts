/**
 * The spec's StorageProvider (§4.2) on PostgreSQL (DESIGN §6 "Storage provider"; issue 10), with the
 * same extra surface as the local provider (saveStream, bodySink, stat) plus a streaming load, so a
 * retry on any machine can read what another machine stored.
 *
 * Bytes are chunk rows (storage/postgres/postgres-storage-schema.ts); a save streams them into one
 * transaction and publishes the object row at its end, so an object appears only complete, and a
 * process that dies mid-save leaves nothing (its connection closes, the transaction aborts). The
 * SHA-256 is computed while streaming and verified on every load. Every database failure is a
 * PostgresInfrastructureError naming host, port and database — never the password.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { BodySink, BodySinkWriter } from '../src/http/http-types.ts';
import type { LoadOperation, LoadResult, SaveOperation, SaveResult } from '../src/schemas/storage.ts';
import { checkCollection, checkId } from './storage-names.ts';
import { checkMetadata, contentTypeOf } from './storage-metadata.ts';
import type { SaveOptions, StreamingStorageProvider } from './streaming-storage-provider.ts';
import { BlobWriter, locationOf, nextBlobId, objectLockSql, publishObject, publishSmallObject } from './postgres/postgres-blob-writer.ts';
import { beginUpload } from './postgres/postgres-upload.ts';
import { SELECT_CHUNKS, SELECT_OBJECT, OBJECT_FIELDS, assembleObject, chunkStream, objectFromRow, type ChunkRow, type ObjectRowData, type StoredObject } from './postgres/postgres-blob-reader.ts';
import { postgresFailure } from './postgres/postgres-failure.ts';
import { applyMigrations } from './postgres/postgres-migrations.ts';
import { CHUNKS_TABLE, OBJECTS_TABLE, STORAGE_MIGRATIONS } from './postgres/postgres-storage-schema.ts';
import { parsePostgresUrl, type PostgresTarget } from './postgres/postgres-url.ts';

/** Options of {@link openPostgresStorageProvider}. */
export interface PostgresStorageOptions {
  /** `postgres://USER:PASSWORD@HOST:PORT/DATABASE`; the storage tables are created there on open. */
  url: string;
  /** Bytes per chunk row, 1 KiB … 64 MiB. @default 1 MiB */
  chunkSize?: number;
  /** Most connections the provider holds; each save, bodySink and open loadStream holds one. @default 10 */
  maxConnections?: number;
  /** How long to wait for a connection before failing with POSTGRES_UNREACHABLE. @default 5000 */
  connectTimeoutMs?: number;
}

/** The executor's storage surface on PostgreSQL, plus a streaming load and close. */
export interface PostgresStorageProvider extends StreamingStorageProvider {
  /** Host, port, database and user it stores to, and the URL with the password redacted. */
  readonly target: PostgresTarget;
  /**
   * The item's bytes as a stream that reads a few chunks at a time (memory stays bounded), from
   * one consistent snapshot; null when absent. It fails with STORAGE_CHECKSUM_MISMATCH or
   * STORAGE_OBJECT_INCOMPLETE before its last bytes when the stored chunks do not match. It holds a
   * connection until it ends or is destroyed: consume or destroy it.
   */
  loadStream(collection: string, id: string): Promise<Readable | null>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/** Default bytes per chunk row. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MIN_CHUNK_SIZE = 1024;
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** A streaming load reads this many bytes of chunks per query. */
const READ_BATCH_BYTES = 4 * 1024 * 1024;

/** Thrown around a failure of the caller's byte source, so it passes through unwrapped. */
class SourceFailure extends Error {
  constructor(readonly error: unknown) {
    super('the byte source failed', { cause: error });
  }
}

/**
 * The source's own failure (an aborted upstream stream) is the caller's to interpret, so it is
 * marked to pass through unwrapped. A failure of the loop body is not seen here: for-await then
 * calls return(), not throw().
 */
async function* guarded(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (error) {
    throw new SourceFailure(error);
  }
}

function checkOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`PostgreSQL storage option ${name} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
  return value;
}

function checkName(collection: string, id: string): void {
  checkCollection(collection);
  checkId(collection, id);
}

/**
 * Connects to `options.url`, applies the storage migrations (safe when several workers start at
 * once) and returns the provider. Fails with a PostgresInfrastructureError when the database cannot
 * be reached, refuses the login, does not exist or does not let the user create the tables.
 */
export async function openPostgresStorageProvider(options: PostgresStorageOptions): Promise<PostgresStorageProvider> {
  const target = parsePostgresUrl(options.url);
  const chunkSize = checkOption('chunkSize', options.chunkSize ?? DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: checkOption('maxConnections', options.maxConnections ?? 10, 1, 1000),
    connectionTimeoutMillis: checkOption('connectTimeoutMs', options.connectTimeoutMs ?? 5000, 1, 600_000),
    application_name: 'action-executor storage',
  });
  // A connection that dies (server restart, pg_terminate_backend) emits 'error' — on the pool while
  // idle, on the client while checked out — and an unheard 'error' would crash the process. The
  // query in progress, or the next one, fails and is reported instead.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const bracketed = target.host.includes(':') ? `[${target.host}]` : target.host;
  const baseUrl = `postgres://${bracketed}:${target.port}/${encodeURIComponent(target.database)}`;
  const fail = (operation: string, error: unknown): Error => postgresFailure(error, target, options.url, `storage ${operation}`);

  const connect = async (operation: string): Promise<PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw fail(operation, error);
    }
  };

  /** Ends the client's transaction (if any) and returns it to the pool, or drops a broken one. */
  const release = async (client: PoolClient): Promise<void> => {
    const healthy = await client.query('ROLLBACK').then(() => true, () => false);
    client.release(healthy ? undefined : true);
  };

  /** Runs `fn` on one pooled connection; any failure rolls back and is reported for `operation`. */
  const withClient = async <T>(operation: string, fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await connect(operation);
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (error) {
      await release(client);
      if (error instanceof SourceFailure) throw error.error;
      throw fail(operation, error);
    }
  };

  try {
    await withClient('open', (client) => applyMigrations(client, STORAGE_MIGRATIONS, target));
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  const saveFrom = async (collection: string, id: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SaveOptions = {}): Promise<SaveResult> => {
    checkName(collection, id);
    checkMetadata(collection, id, options.metadata ?? {});
    return withClient(`save of ${collection}/${id}`, async (client) => {
      const upload = await beginUpload(client, { collection, id, chunkSize, baseUrl });
      for await (const chunk of guarded(source)) await upload.write(chunk);
      return upload.commit(options);
    });
  };

  /** Stores a buffer that fits in one chunk: three round trips, one of them the commit. */
  const saveSmall = async (client: PoolClient, collection: string, id: string, data: Buffer, options: SaveOptions): Promise<SaveResult> => {
    const row = { collection, id, size: data.byteLength, sha256: createHash('sha256').update(data).digest('hex'), chunkSize, contentType: contentTypeOf(options), metadata: { ...(options.metadata ?? {}) } };
    await publishSmallObject(client, row, data);
    return locationOf(baseUrl, row);
  };

  const readObject = async (collection: string, id: string): Promise<LoadResult | null> => {
    checkName(collection, id);
    let rows: (ObjectRowData & { seq: number | null; data: Buffer | null })[];
    try {
      // One statement, so the object row and its chunks come from one snapshot.
      const result = await pool.query<ObjectRowData & { seq: number | null; data: Buffer | null }>(
        `SELECT ${OBJECT_FIELDS}, c.seq, c.data FROM ${OBJECTS_TABLE} o
           LEFT JOIN ${CHUNKS_TABLE} c ON c.blob_id = o.blob_id AND c.seq < o.chunk_count
          WHERE o.collection = $1 AND o.id = $2 ORDER BY c.seq`,
        [collection, id],
      );
      rows = result.rows;
    } catch (error) {
      throw fail(`load of ${collection}/${id}`, error);
    }
    const first = rows[0];
    if (first === undefined) return null;
    const object = objectFromRow(first);
    const chunks = rows.filter((row): row is ObjectRowData & ChunkRow => row.seq !== null && row.data !== null);
    const data = assembleObject(object, `${baseUrl}#${collection}/${id}`, chunks);
    return { data, metadata: { ...object.metadata, contentType: object.contentType } };
  };

  const statObject = async (collection: string, id: string): Promise<StoredObject | null> => {
    checkName(collection, id);
    try {
      const result = await pool.query<ObjectRowData>(SELECT_OBJECT, [collection, id]);
      const row = result.rows[0];
      return row === undefined ? null : objectFromRow(row);
    } catch (error) {
      throw fail(`stat of ${collection}/${id}`, error);
    }
  };

  return {
    target,

    async save(collection, id, data, options = {}) {
      if (data.byteLength > chunkSize) return saveFrom(collection, id, [data], options);
      checkName(collection, id);
      checkMetadata(collection, id, options.metadata ?? {});
      return withClient(`save of ${collection}/${id}`, async (client) => {
        await client.query(`BEGIN; ${objectLockSql(collection, id)}`);
        const location = await saveSmall(client, collection, id, data, options);
        await client.query('COMMIT');
        return location;
      });
    },

    async saveStream(collection, id, source, options) {
      return saveFrom(collection, id, source, options);
    },

    bodySink(collection, id): BodySink {
      checkName(collection, id);
      const operation = `save of body ${collection}/${id}`;
      return {
        async open(meta): Promise<BodySinkWriter> {
          const client = await connect(operation);
          let ended = false;
          /** Runs a step of the upload; the first failure ends it and frees its connection. */
          const step = async <T>(fn: () => Promise<T>): Promise<T> => {
            if (ended) throw new Error(`The body sink for ${collection}/${id} was already finished or aborted.`);
            try {
              return await fn();
            } catch (error) {
              ended = true;
              await release(client);
              throw fail(operation, error);
            }
          };
          const upload = await step(() => beginUpload(client, { collection, id, chunkSize, baseUrl }));
          return {
            write: (chunk) => step(() => upload.write(chunk)),
            async finish(summary) {
              const location = await step(() => upload.commit(meta.contentType === '' ? {} : { contentType: meta.contentType }, summary));
              ended = true;
              client.release();
              return location;
            },
            async abort() {
              if (ended) return;
              ended = true;
              await release(client);
            },
          };
        },
      };
    },

    async stat(collection, id) {
      const object = await statObject(collection, id);
      return object === null ? null : locationOf(baseUrl, object);
    },

    load: readObject,

    async loadStream(collection, id) {
      checkName(collection, id);
      const operation = `load of ${collection}/${id}`;
      const client = await connect(operation);
      let object: StoredObject;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const found = await client.query<ObjectRowData>(SELECT_OBJECT, [collection, id]);
        const row = found.rows[0];
        if (row === undefined) {
          await release(client);
          return null;
        }
        object = objectFromRow(row);
      } catch (error) {
        await release(client);
        throw fail(operation, error);
      }
      const batch = Math.max(1, Math.floor(READ_BATCH_BYTES / object.chunkSize));
      return chunkStream(object, `${baseUrl}#${collection}/${id}`, {
        async fetch(from, count) {
          try {
            const result = await client.query<ChunkRow>({ name: 'ae_storage_read_chunks', text: SELECT_CHUNKS, values: [object.blobId, from, count] });
            return result.rows;
          } catch (error) {
            throw fail(operation, error);
          }
        },
        close: () => release(client),
      }, batch);
    },

    async exists(collection, id) {
      return (await statObject(collection, id)) !== null;
    },

    async list(collection, prefix = '') {
      checkCollection(collection);
      const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      try {
        const result = await pool.query<{ id: string }>(`SELECT id FROM ${OBJECTS_TABLE} WHERE collection = $1 AND id LIKE $2 ORDER BY id`, [collection, pattern]);
        return result.rows.map((row) => row.id);
      } catch (error) {
        throw fail(`list of ${collection}`, error);
      }
    },

    async delete(collection, id) {
      checkName(collection, id);
      return withClient(`delete of ${collection}/${id}`, async (client) => {
        // Under the object's lock, like a publish, so the statement sees the latest blob to delete.
        await client.query(`BEGIN; ${objectLockSql(collection, id)}`);
        const result = await client.query<{ deleted: number }>(
          `WITH gone AS (DELETE FROM ${OBJECTS_TABLE} WHERE collection = $1 AND id = $2 RETURNING blob_id),
             chunks AS (DELETE FROM ${CHUNKS_TABLE} WHERE blob_id IN (SELECT blob_id FROM gone))
           SELECT count(*)::integer AS deleted FROM gone`,
          [collection, id],
        );
        await client.query('COMMIT');
        return (result.rows[0]?.deleted ?? 0) > 0;
      });
    },

    async saveBatch(operations: SaveOperation[]) {
      // Every name first, so one bad id fails the batch before anything is written.
      for (const op of operations) {
        checkName(op.collection, op.id);
        checkMetadata(op.collection, op.id, op.metadata ?? {});
      }
      if (operations.length === 0) return [];
      return withClient(`batch save of ${operations.length} items`, async (client) => {
        // One transaction: the whole batch is stored, or none of it. Locks in one order, so two
        // batches naming the same objects cannot deadlock.
        const locks = [...new Set(operations.map((op) => objectLockSql(op.collection, op.id)))].sort();
        await client.query(`BEGIN; ${locks.join('; ')}`);
        const results: SaveResult[] = [];
        for (const op of operations) {
          const options = op.metadata === undefined ? {} : { metadata: op.metadata };
          if (op.data.byteLength <= chunkSize) {
            results.push(await saveSmall(client, op.collection, op.id, op.data, options));
            continue;
          }
          const writer = new BlobWriter(client, await nextBlobId(client), chunkSize);
          await writer.write(op.data);
          const row = { ...(await writer.finish()), collection: op.collection, id: op.id, chunkSize, contentType: contentTypeOf(options), metadata: { ...(op.metadata ?? {}) } };
          await publishObject(client, row);
          results.push(locationOf(baseUrl, row));
        }
        await client.query('COMMIT');
        return results;
      });
    },

    async loadBatch(operations: LoadOperation[]) {
      for (const op of operations) checkName(op.collection, op.id);
      const results: (LoadResult | null)[] = [];
      for (const op of operations) results.push(await readObject(op.collection, op.id));
      return results;
    },

    close() {
      return pool.end();
    },
  };
}
