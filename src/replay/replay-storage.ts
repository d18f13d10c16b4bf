/**
 * The storage of a replay: in memory, so storing the output writes no file. A save answers with the
 * location the recording names for it (provider and path are facts of the original machine) and the
 * size, SHA-256, content type and metadata of the bytes the replay produced — so a changed output
 * shows up as a changed checksum, and an unchanged one compares equal to the journaled location.
 */
import { createHash } from 'node:crypto';
import type { BodySink } from '../http/http-types.ts';
import type { LoadOperation, LoadResult, SaveOperation, SaveResult, StorageLocation } from '../schemas/storage.ts';
import type { SaveOptions, StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';

/** A storage provider in memory, told where the recording stored the output. */
export interface ReplayStorage extends StreamingStorageProvider {
  /** The location the recording has for the next save (from its STORED event), if any. */
  expect(location: StorageLocation | undefined): void;
}

/** An empty in-memory storage for one replay. */
export function createReplayStorage(): ReplayStorage {
  const items = new Map<string, { data: Buffer; metadata: Record<string, string> }>();
  let expected: StorageLocation | undefined;
  const name = (collection: string, id: string): string => `${collection}/${id}`;

  const save = async (collection: string, id: string, data: Buffer, options: SaveOptions = {}): Promise<SaveResult> => {
    const metadata = { ...(options.metadata ?? {}) };
    items.set(name(collection, id), { data: Buffer.from(data), metadata });
    return {
      provider: expected?.provider ?? 'local',
      path: expected?.path ?? `replay:${name(collection, id)}`,
      size: data.byteLength,
      checksum: createHash('sha256').update(data).digest('hex'),
      contentType: options.contentType ?? metadata.contentType ?? 'application/octet-stream',
      metadata,
    };
  };

  const load = async (collection: string, id: string): Promise<LoadResult | null> => {
    const item = items.get(name(collection, id));
    return item ? { data: Buffer.from(item.data), metadata: { ...item.metadata } } : null;
  };

  return {
    expect(location) {
      expected = location;
    },
    save,
    async saveStream(collection, id, source, options) {
      const chunks: Buffer[] = [];
      for await (const chunk of source) chunks.push(Buffer.from(chunk));
      return save(collection, id, Buffer.concat(chunks), options);
    },
    bodySink(collection, id): BodySink {
      // Only a response that arrives streams a body, and a replay sends no request.
      return {
        open: () => Promise.reject(new Error(`a replay sends no request, so no response body streams to ${name(collection, id)}`)),
      };
    },
    async stat(collection, id) {
      const item = items.get(name(collection, id));
      if (!item) return null;
      return { provider: 'local', path: `replay:${name(collection, id)}`, size: item.data.byteLength, checksum: createHash('sha256').update(item.data).digest('hex'), contentType: item.metadata.contentType ?? 'application/octet-stream', metadata: item.metadata };
    },
    load,
    async loadStream(collection, id) {
      // A body streamed to storage by the original run is not part of the journal: only what this
      // replay saved can be read back (docs/replay.md, "Limits").
      const item = items.get(name(collection, id));
      if (!item) return null;
      const data = Buffer.from(item.data);
      return (async function* () {
        yield data;
      })();
    },
    async exists(collection, id) {
      return items.has(name(collection, id));
    },
    async list(collection, prefix = '') {
      return [...items.keys()].filter((key) => key.startsWith(`${collection}/${prefix}`)).map((key) => key.slice(collection.length + 1));
    },
    async delete(collection, id) {
      return items.delete(name(collection, id));
    },
    async saveBatch(operations: SaveOperation[]) {
      return Promise.all(operations.map((op) => save(op.collection, op.id, op.data, op.metadata ? { metadata: op.metadata } : {})));
    },
    async loadBatch(operations: LoadOperation[]) {
      return Promise.all(operations.map((op) => load(op.collection, op.id)));
    },
  };
}
