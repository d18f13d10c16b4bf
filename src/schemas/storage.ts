/**
 * Storage schemas and the StorageProvider interface of spec §4.1/§4.2. The spec leaves SaveResult,
 * SaveOperation, LoadOperation and LoadResult undefined; they are defined here.
 */
import { z } from 'zod';

export const StorageLocationSchema = z.object({
  // Departure from the spec ('local' only): 'postgres' for the PostgreSQL provider, see docs/decisions.md.
  provider: z.enum(['local', 'postgres']).describe('Storage backend type: local filesystem, or PostgreSQL'),
  path: z.string().describe('Filesystem path to the stored data, or for postgres a URL without credentials naming database, collection and id'),
  size: z.number().int().nonnegative().describe('Size in bytes'),
  checksum: z.string().describe('SHA-256 checksum of content'),
  contentType: z.string().describe('MIME type of stored content'),
  metadata: z.record(z.string(), z.string()).describe('Additional metadata')
}).describe('Location and metadata for stored data');

export type StorageLocation = z.infer<typeof StorageLocationSchema>;

/** What a save returns: where the bytes landed, their size and SHA-256 (a StorageLocation). */
export const SaveResultSchema = StorageLocationSchema.describe('Result of a save: the stored location');
export type SaveResult = z.infer<typeof SaveResultSchema>;

/** One item of `saveBatch`: the collection, the id within it, the bytes and optional metadata. */
export interface SaveOperation {
  collection: string;
  id: string;
  data: Buffer;
  /** Stored in the metadata sidecar; `contentType` sets the location's content type. */
  metadata?: Record<string, string>;
}

/** One item of `loadBatch`. */
export interface LoadOperation {
  collection: string;
  id: string;
}

/** What `load`/`loadBatch` return for an item that exists. */
export interface LoadResult {
  data: Buffer;
  metadata: Record<string, string>;
}

/** The storage provider interface of spec §4.2, written against by the executor. */
export interface StorageProvider {
  save(collection: string, id: string, data: Buffer): Promise<SaveResult>;
  load(collection: string, id: string): Promise<LoadResult | null>;
  exists(collection: string, id: string): Promise<boolean>;
  list(collection: string, prefix?: string): Promise<string[]>;
  delete(collection: string, id: string): Promise<boolean>;
  saveBatch(operations: SaveOperation[]): Promise<SaveResult[]>;
  loadBatch(operations: LoadOperation[]): Promise<(LoadResult | null)[]>;
}
