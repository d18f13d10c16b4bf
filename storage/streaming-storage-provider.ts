/**
 * What the executor needs from a storage provider beyond the spec's StorageProvider (§4.2): saves
 * with a content type and metadata, streaming saves, a BodySink for the HTTP layer, and stat. Both
 * providers implement it — local files (storage/local-storage-provider.ts) and PostgreSQL
 * (storage/postgres-storage-provider.ts) — so either can be given to the executor.
 */
import type { BodySink } from '../src/http/http-types.ts';
import type { SaveResult, StorageProvider } from '../src/schemas/storage.ts';

/** Options of a save. */
export interface SaveOptions {
  /** MIME type recorded with the item. @default metadata.contentType, else 'application/octet-stream' */
  contentType?: string;
  /** String pairs kept with the item and returned by load. Never put secrets here. */
  metadata?: Record<string, string>;
}

/** The spec's StorageProvider plus a streaming save, a BodySink for the HTTP layer, and stat. */
export interface StreamingStorageProvider extends StorageProvider {
  save(collection: string, id: string, data: Buffer, options?: SaveOptions): Promise<SaveResult>;
  /** Stores a body chunk by chunk (memory stays bounded); atomic like save. */
  saveStream(collection: string, id: string, source: AsyncIterable<Uint8Array>, options?: SaveOptions): Promise<SaveResult>;
  /** A BodySink writing to `<collection>/<id>`: the HTTP layer streams large bodies straight to storage. */
  bodySink(collection: string, id: string): BodySink;
  /** Where a stored item is and what it holds, without reading the data; null when absent. */
  stat(collection: string, id: string): Promise<SaveResult | null>;
}
