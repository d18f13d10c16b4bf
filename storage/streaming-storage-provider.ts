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
  /**
   * Keep a self-description (the local provider's metadata sidecar). `false` for items whose location
   * the caller records itself — the executor's outputs and results: the journal holds their size,
   * SHA-256, content type and metadata, and verifies them on read-back — which saves creating a second
   * file per save (on this project's machines the most expensive system call of a save). Such an item
   * loads as its bytes, with the content type its name implies. Providers that store metadata beside
   * the bytes at no extra cost (Postgres) ignore it. @default true
   */
  sidecar?: boolean;
}

/** The spec's StorageProvider plus a streaming save and load, a BodySink for the HTTP layer, and stat. */
export interface StreamingStorageProvider extends StorageProvider {
  save(collection: string, id: string, data: Buffer, options?: SaveOptions): Promise<SaveResult>;
  /** Stores a body chunk by chunk (memory stays bounded); atomic like save. */
  saveStream(collection: string, id: string, source: AsyncIterable<Uint8Array>, options?: SaveOptions): Promise<SaveResult>;
  /** A BodySink writing to `<collection>/<id>`: the HTTP layer streams large bodies straight to storage. */
  bodySink(collection: string, id: string): BodySink;
  /** Where a stored item is and what it holds, without reading the data; null when absent. */
  stat(collection: string, id: string): Promise<SaveResult | null>;
  /**
   * A stored item's bytes as a stream (a chunk or two in memory at a time); null when absent. Read
   * this way, bodies of any size can be hashed or parsed within a cap. A provider may check the bytes
   * against its own record while streaming (Postgres does); the executor compares them with the
   * location it journaled.
   */
  loadStream(collection: string, id: string): Promise<AsyncIterable<Uint8Array> | null>;
}
