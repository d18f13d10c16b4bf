/**
 * The tables of the PostgreSQL StorageProvider and their migrations.
 *
 * An object is one row of `ae_storage_objects` (size, SHA-256, content type, metadata) pointing at a
 * blob: the rows of `ae_storage_chunks` with its `blob_id`, numbered 0, 1, 2 … Each save writes a
 * new blob, and the object row is switched to it in the transaction that also deletes the old
 * blob's chunks, so a reader sees the old object or the new one, never a mix. Chunks are stored
 * uncompressed out of line (STORAGE EXTERNAL): bodies are often already compressed, and pglz
 * would spend CPU on every chunk to find that out.
 */
import type { PostgresMigrationSet } from './postgres-migrations.ts';

export const OBJECTS_TABLE = 'ae_storage_objects';
export const CHUNKS_TABLE = 'ae_storage_chunks';
export const BLOB_ID_SEQUENCE = 'ae_storage_blob_ids';

/**
 * Advisory-lock namespaces (the first int4 of `pg_advisory_xact_lock(int4, int4)`): 'AEmg' for
 * migrations, 'AEst' for publishing a stored object (the second int4 hashes collection and id).
 */
export const MIGRATION_LOCK_NAMESPACE = 0x41456d67;
export const OBJECT_LOCK_NAMESPACE = 0x41457374;

export const STORAGE_MIGRATIONS: PostgresMigrationSet = {
  subject: 'storage',
  table: 'ae_storage_migrations',
  lockKey: [MIGRATION_LOCK_NAMESPACE, 1],
  migrations: [
    {
      version: 1,
      name: 'objects_and_chunks',
      sql: `
        CREATE SEQUENCE ${BLOB_ID_SEQUENCE};
        CREATE TABLE ${OBJECTS_TABLE} (
          collection text COLLATE "C" NOT NULL,
          id text COLLATE "C" NOT NULL,
          blob_id bigint NOT NULL UNIQUE,
          size bigint NOT NULL CHECK (size >= 0),
          sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
          chunk_count integer NOT NULL CHECK (chunk_count >= 0),
          chunk_size integer NOT NULL CHECK (chunk_size > 0),
          content_type text NOT NULL,
          metadata jsonb NOT NULL DEFAULT '{}',
          stored_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (collection, id)
        );
        CREATE TABLE ${CHUNKS_TABLE} (
          blob_id bigint NOT NULL,
          seq integer NOT NULL CHECK (seq >= 0),
          data bytea NOT NULL,
          PRIMARY KEY (blob_id, seq)
        );
        ALTER TABLE ${CHUNKS_TABLE} ALTER COLUMN data SET STORAGE EXTERNAL;
      `,
    },
  ],
};
