import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import { isActionError, type ActionError } from '../src/failure/errors.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { SaveResultSchema } from '../src/schemas/storage.ts';
import { openPostgresStorageProvider, type PostgresStorageOptions, type PostgresStorageProvider } from '../storage/postgres-storage-provider.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { thrownActionError } from './support/thrown.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function rejection(promise: Promise<unknown>): Promise<ActionError> {
  try {
    await promise;
  } catch (error) {
    if (!isActionError(error)) throw error;
    ErrorDetailSchema.parse(error.detail);
    return error;
  }
  throw new Error('expected an ActionError, but the promise resolved');
}

async function* chunks(parts: (string | Uint8Array)[], failAt?: { index: number; error: Error }): AsyncGenerator<Uint8Array> {
  for (const [index, part] of parts.entries()) {
    if (failAt !== undefined && index === failAt.index) throw failAt.error;
    yield typeof part === 'string' ? Buffer.from(part) : part;
    await Promise.resolve();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describeWithPostgres('Postgres storage provider (issue 10)', () => {
  let database: FreshDatabase;
  let sql: pg.Client;
  const opened: PostgresStorageProvider[] = [];

  beforeAll(async () => {
    database = await freshDatabase('postgres_storage');
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    for (const provider of opened) await provider.close();
    await sql?.end();
    await database?.drop();
  });

  async function open(options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorageProvider> {
    const provider = await openPostgresStorageProvider({ url: database.url, ...options });
    opened.push(provider);
    return provider;
  }

  /** A collection of its own per test, so tests do not see each other's objects. */
  const collection = (): string => `t${randomBytes(6).toString('hex')}`;

  async function chunkRows(blobOf: { collection: string; id: string }): Promise<number> {
    const result = await sql.query('SELECT count(*)::int AS n FROM ae_storage_chunks c JOIN ae_storage_objects o USING (blob_id) WHERE o.collection = $1 AND o.id = $2', [blobOf.collection, blobOf.id]);
    return result.rows[0].n as number;
  }

  async function orphanChunks(): Promise<number> {
    const result = await sql.query('SELECT count(*)::int AS n FROM ae_storage_chunks c WHERE NOT EXISTS (SELECT 1 FROM ae_storage_objects o WHERE o.blob_id = c.blob_id)');
    return result.rows[0].n as number;
  }

  describe('save and load', () => {
    it('EXEC-019: a saved result loads back byte for byte with its metadata and a schema-valid postgres location', async () => {
      const storage = await open();
      const c = collection();
      const data = Buffer.from(JSON.stringify({ actionId: 'fetch-user', status: 'completed' }));
      const location = await storage.save(c, 'e1.fetch-user.state.json', data, { contentType: 'application/json', metadata: { executionId: 'e1' } });
      expect(SaveResultSchema.parse(location)).toEqual(location);
      expect(location).toEqual({
        provider: 'postgres',
        path: `postgres://${storage.target.host}:${storage.target.port}/${database.name}#${c}/e1.fetch-user.state.json`,
        size: data.byteLength,
        checksum: sha256(data),
        contentType: 'application/json',
        metadata: { executionId: 'e1' },
      });
      expect(await storage.load(c, 'e1.fetch-user.state.json')).toEqual({ data, metadata: { executionId: 'e1', contentType: 'application/json' } });
      expect(await storage.stat(c, 'e1.fetch-user.state.json')).toEqual(location);
    });

    it('empty and all-byte-value bodies round trip exactly, across chunk boundaries', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const multi = randomBytes(10 * 1024 + 17);
      expect((await storage.save(c, 'empty', Buffer.alloc(0))).checksum).toBe(sha256(Buffer.alloc(0)));
      await storage.save(c, 'bytes', everyByte);
      await storage.save(c, 'multi', multi);
      expect((await storage.load(c, 'empty'))?.data.byteLength).toBe(0);
      expect((await storage.load(c, 'bytes'))?.data.equals(everyByte)).toBe(true);
      expect((await storage.load(c, 'multi'))?.data.equals(multi)).toBe(true);
      expect(await chunkRows({ collection: c, id: 'multi' })).toBe(11);
      expect(await chunkRows({ collection: c, id: 'empty' })).toBe(0);
      expect((await collect((await storage.loadStream(c, 'multi'))!)).equals(multi)).toBe(true);
      expect((await collect((await storage.loadStream(c, 'empty'))!)).byteLength).toBe(0);
    });

    it('content type comes from options, else metadata.contentType, else application/octet-stream', async () => {
      const storage = await open();
      const c = collection();
      expect((await storage.save(c, 'a', Buffer.from('x'), { contentType: 'text/plain', metadata: { contentType: 'image/png' } })).contentType).toBe('text/plain');
      expect((await storage.save(c, 'b', Buffer.from('x'), { metadata: { contentType: 'image/png' } })).contentType).toBe('image/png');
      expect((await storage.save(c, 'c', Buffer.from('x'))).contentType).toBe('application/octet-stream');
      expect((await storage.load(c, 'c'))?.metadata).toEqual({ contentType: 'application/octet-stream' });
    });

    it('saving an id again replaces data and metadata (last wins, as with local storage) and deletes the old chunks', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      await storage.save(c, 'item', randomBytes(5000), { metadata: { v: '1', only: 'old' } });
      const second = await storage.save(c, 'item', Buffer.from('new'), { metadata: { v: '2' } });
      expect(await storage.load(c, 'item')).toEqual({ data: Buffer.from('new'), metadata: { v: '2', contentType: 'application/octet-stream' } });
      expect(await storage.stat(c, 'item')).toEqual(second);
      expect(await chunkRows({ collection: c, id: 'item' })).toBe(1);
      expect(await orphanChunks()).toBe(0);
    });

    it('a missing object: load and loadStream are null, exists and delete false, stat null; delete removes object and chunks', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      expect(await storage.load(c, 'missing')).toBeNull();
      expect(await storage.loadStream(c, 'missing')).toBeNull();
      expect(await storage.exists(c, 'missing')).toBe(false);
      expect(await storage.stat(c, 'missing')).toBeNull();
      expect(await storage.delete(c, 'missing')).toBe(false);
      await storage.save(c, 'item', randomBytes(3000));
      expect(await storage.exists(c, 'item')).toBe(true);
      expect(await storage.delete(c, 'item')).toBe(true);
      expect(await storage.exists(c, 'item')).toBe(false);
      expect(await orphanChunks()).toBe(0);
    });

    it('list returns ids sorted, filters by prefix literally (_ and % are not wildcards) and never crosses collections', async () => {
      const storage = await open();
      const c = collection();
      for (const id of ['b', 'a_1', 'ab', 'B', 'c.json']) await storage.save(c, id, Buffer.from(id));
      await storage.save(`${c}/nested`, 'deep', Buffer.from('x'));
      expect(await storage.list(c)).toEqual(['B', 'a_1', 'ab', 'b', 'c.json']);
      expect(await storage.list(c, 'a_')).toEqual(['a_1']);
      expect(await storage.list(c, '%')).toEqual([]);
      expect(await storage.list(c, 'a')).toEqual(['a_1', 'ab']);
      expect(await storage.list(`${c}/nested`)).toEqual(['deep']);
      expect(await storage.list(collection())).toEqual([]);
    });

    it('metadata values that are not strings are refused before anything is written', async () => {
      const storage = await open();
      const c = collection();
      const error = await rejection(storage.save(c, 'item', Buffer.from('x'), { metadata: { attempts: 3 as unknown as string } }));
      expect(error.detail.code).toBe('INVALID_STORAGE_METADATA');
      expect(await storage.list(c)).toEqual([]);
    });
  });

  describe('streaming and atomic visibility', () => {
    it('saveStream stores the concatenated chunks with their SHA-256', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      const parts = [randomBytes(700), randomBytes(700), randomBytes(3000), randomBytes(1)];
      const location = await storage.saveStream(c, 'streamed', chunks(parts), { contentType: 'application/json' });
      const whole = Buffer.concat(parts);
      expect(location).toMatchObject({ size: whole.byteLength, checksum: sha256(whole), contentType: 'application/json' });
      expect((await storage.load(c, 'streamed'))?.data.equals(whole)).toBe(true);
    });

    it('an object is invisible until its save commits; until then the previous version is what loads', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      await storage.save(c, 'item', Buffer.from('version 1'));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let halfWritten!: () => void;
      const midway = new Promise<void>((resolve) => (halfWritten = resolve));
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield randomBytes(4096); // four chunk rows are inserted by now
        halfWritten();
        await gate;
        yield Buffer.from('the end');
      }
      const saving = storage.saveStream(c, 'item', slow());
      const fresh = storage.saveStream(c, 'new', (async function* () {
        yield randomBytes(2048);
        await gate;
      })());
      await midway;
      expect((await storage.load(c, 'item'))?.data.toString()).toBe('version 1');
      expect(await storage.exists(c, 'new')).toBe(false);
      expect(await storage.list(c)).toEqual(['item']);
      release();
      const [location] = await Promise.all([saving, fresh]);
      expect(location.size).toBe(4096 + 7);
      expect((await storage.load(c, 'item'))?.data.byteLength).toBe(4096 + 7);
      expect(await storage.list(c)).toEqual(['item', 'new']);
    });

    it('a source that fails mid-way rejects with its own error, stores nothing, keeps the previous version and frees its connection', async () => {
      const storage = await open({ chunkSize: 1024, maxConnections: 1 });
      const c = collection();
      await storage.save(c, 'item', Buffer.from('version 1'), { metadata: { v: '1' } });
      const aborted = new Error('upstream connection reset');
      await expect(storage.saveStream(c, 'item', chunks([randomBytes(3000), 'x'], { index: 1, error: aborted }))).rejects.toBe(aborted);
      await expect(storage.saveStream(c, 'partial', chunks([randomBytes(3000), 'x'], { index: 1, error: aborted }))).rejects.toBe(aborted);
      expect(await storage.load(c, 'item')).toEqual({ data: Buffer.from('version 1'), metadata: { v: '1', contentType: 'application/octet-stream' } });
      expect(await storage.exists(c, 'partial')).toBe(false);
      expect(await orphanChunks()).toBe(0);
    });

    it('bodySink: open, write, finish stores the body; stat reports the same location', async () => {
      const storage = await open({ chunkSize: 4096 });
      const c = collection();
      const writer = await storage.bodySink(c, 'e1.fetch.attempt-1.body').open({ contentType: 'image/png' });
      const parts = [randomBytes(1000), randomBytes(5000), randomBytes(7)];
      for (const part of parts) await writer.write(part);
      const whole = Buffer.concat(parts);
      const location = await writer.finish({ size: whole.byteLength, sha256: createHash('sha256').update(whole).digest('base64') });
      expect(location).toMatchObject({ provider: 'postgres', size: whole.byteLength, checksum: sha256(whole), contentType: 'image/png' });
      expect(await storage.stat(c, 'e1.fetch.attempt-1.body')).toEqual(location);
      expect((await storage.load(c, 'e1.fetch.attempt-1.body'))?.data.equals(whole)).toBe(true);
    });

    it('bodySink: abort and a disagreeing finish summary both store nothing', async () => {
      const storage = await open({ chunkSize: 1024, maxConnections: 1 });
      const c = collection();
      const aborted = await storage.bodySink(c, 'cut').open({ contentType: '' });
      await aborted.write(randomBytes(3000));
      await aborted.abort();
      await aborted.abort();
      const wrong = await storage.bodySink(c, 'wrong').open({ contentType: 'text/plain' });
      await wrong.write(Buffer.from('abc'));
      const error = await rejection(wrong.finish({ size: 4, sha256: sha256(Buffer.from('abcd')) }));
      expect(error.detail.code).toBe('BODY_SUMMARY_MISMATCH');
      expect(error.message).toContain('3 bytes');
      expect(await storage.list(c)).toEqual([]);
      expect(await orphanChunks()).toBe(0);
    });

    /** Retained memory (heap + ArrayBuffers after a full GC), sampled every 4 MiB while `run` streams. */
    function memoryProbe(): { sample: () => void; peak: () => number } {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const retained = (): number => {
        gc();
        const usage = process.memoryUsage();
        return usage.heapUsed + usage.arrayBuffers;
      };
      const baseline = retained();
      let peak = 0;
      return { sample: () => (peak = Math.max(peak, retained() - baseline)), peak: () => peak };
    }

    it('EXEC-020: a 256 MiB body streams in and out with retained memory growth under 64 MiB', async () => {
      const storage = await open();
      const c = collection();
      const size = 256 * 1024 * 1024;
      const piece = 64 * 1024;
      const written = createHash('sha256');
      const saving = memoryProbe();
      async function* source(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < size / piece; i += 1) {
          const chunk = Buffer.alloc(piece, i % 251); // a fresh chunk each time
          written.update(chunk);
          if (i % 64 === 63) saving.sample();
          yield chunk;
        }
      }
      const location = await storage.saveStream(c, 'large', source());
      saving.sample();
      expect(location.size).toBe(size);
      expect(location.checksum).toBe(written.digest('hex'));
      expect(saving.peak()).toBeLessThan(64 * 1024 * 1024);

      const loading = memoryProbe();
      const read = createHash('sha256');
      let bytes = 0;
      let sinceSample = 0;
      for await (const part of (await storage.loadStream(c, 'large'))!) {
        read.update(part as Buffer);
        bytes += (part as Buffer).byteLength;
        sinceSample += (part as Buffer).byteLength;
        if (sinceSample >= 4 * 1024 * 1024) {
          loading.sample();
          sinceSample = 0;
        }
      }
      expect(bytes).toBe(size);
      expect(read.digest('hex')).toBe(location.checksum);
      expect(loading.peak()).toBeLessThan(64 * 1024 * 1024);
      await storage.delete(c, 'large');
    }, 60_000);

    it('the memory probe is sensitive: holding 96 MiB of chunks exceeds the bound', () => {
      const probe = memoryProbe();
      const held: Buffer[] = [];
      for (let i = 0; i < 96; i += 1) held.push(Buffer.alloc(1024 * 1024, i));
      probe.sample();
      expect(held).toHaveLength(96);
      expect(probe.peak()).toBeGreaterThan(64 * 1024 * 1024);
    });
  });

  describe('integrity: corrupt or missing chunks are reported, never returned as data', () => {
    async function stored(storage: PostgresStorageProvider, c: string, data: Buffer): Promise<string> {
      await storage.save(c, 'item', data);
      const result = await sql.query('SELECT blob_id::text AS blob_id FROM ae_storage_objects WHERE collection = $1 AND id = $2', [c, 'item']);
      return result.rows[0].blob_id as string;
    }

    it('a chunk row changed behind the provider fails load and loadStream with STORAGE_CHECKSUM_MISMATCH', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      const data = randomBytes(1024 * 20);
      const blob = await stored(storage, c, data);
      await sql.query("UPDATE ae_storage_chunks SET data = overlay(data placing '\\x00ff'::bytea from 10) WHERE blob_id = $1 AND seq = 3", [blob]);
      const error = await rejection(storage.load(c, 'item'));
      expect(error.detail).toMatchObject({ category: 'state_inconsistent', code: 'STORAGE_CHECKSUM_MISMATCH' });
      expect(error.detail.context).toMatchObject({ collection: c, id: 'item', recordedSha256: sha256(data) });
      expect(error.message).toContain(`#${c}/item does not match its row`);

      const received: Buffer[] = [];
      const stream = (await storage.loadStream(c, 'item'))!;
      const streamed = await rejection((async () => {
        for await (const part of stream) received.push(part as Buffer);
      })());
      expect(streamed.detail.code).toBe('STORAGE_CHECKSUM_MISMATCH');
      // The batch with the last chunk is held back until the digest matched: not all bytes arrived.
      expect(Buffer.concat(received).byteLength).toBeLessThan(data.byteLength);
    });

    it('a deleted chunk row fails load and loadStream with STORAGE_OBJECT_INCOMPLETE naming the chunk', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      const blob = await stored(storage, c, randomBytes(1024 * 6));
      await sql.query('DELETE FROM ae_storage_chunks WHERE blob_id = $1 AND seq = 2', [blob]);
      const error = await rejection(storage.load(c, 'item'));
      expect(error.detail.code).toBe('STORAGE_OBJECT_INCOMPLETE');
      expect(error.message).toContain('chunk 2 is missing');
      const streamed = await rejection(collect((await storage.loadStream(c, 'item'))!));
      expect(streamed.detail.code).toBe('STORAGE_OBJECT_INCOMPLETE');
    });
  });

  describe('batches and concurrency', () => {
    it('saveBatch stores every item in one transaction and returns locations in order; loadBatch answers null for a missing item', async () => {
      const storage = await open({ chunkSize: 1024 });
      const c = collection();
      const big = randomBytes(5000);
      const results = await storage.saveBatch([
        { collection: c, id: 'one', data: Buffer.from('1'), metadata: { n: '1' } },
        { collection: c, id: 'two', data: big },
        { collection: c, id: 'one', data: Buffer.from('1 again') },
      ]);
      expect(results.map((r) => [r.path.split('#')[1], r.size])).toEqual([[`${c}/one`, 1], [`${c}/two`, 5000], [`${c}/one`, 7]]);
      const loaded = await storage.loadBatch([{ collection: c, id: 'two' }, { collection: c, id: 'missing' }, { collection: c, id: 'one' }]);
      expect(loaded[0]?.data.equals(big)).toBe(true);
      expect(loaded[1]).toBeNull();
      expect(loaded[2]?.data.toString()).toBe('1 again');
      expect(await orphanChunks()).toBe(0);
    });

    it('a batch with one bad id fails before anything is written', async () => {
      const storage = await open();
      const c = collection();
      const error = await rejection(storage.saveBatch([
        { collection: c, id: 'fine', data: Buffer.from('1') },
        { collection: c, id: '../escape', data: Buffer.from('2') },
      ]));
      expect(error.detail.code).toBe('INVALID_STORAGE_ID');
      expect(await storage.list(c)).toEqual([]);
      expect((await rejection(storage.loadBatch([{ collection: '/etc', id: 'passwd' }]))).detail.code).toBe('INVALID_STORAGE_COLLECTION');
    });

    it('concurrent saves of 24 different ids all land intact', async () => {
      const storage = await open({ chunkSize: 1024, maxConnections: 6 });
      const c = collection();
      const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(500 + i * 300));
      await Promise.all(bodies.map((body, i) => storage.saveStream(c, `item-${String(i).padStart(2, '0')}`, chunks([body.subarray(0, 200), body.subarray(200)]))));
      expect(await storage.list(c)).toHaveLength(24);
      const loaded = await storage.loadBatch(bodies.map((_, i) => ({ collection: c, id: `item-${String(i).padStart(2, '0')}` })));
      loaded.forEach((item, i) => expect(item?.data.equals(bodies[i]!)).toBe(true));
    });

    it('concurrent saves of one id from two providers: one version wins whole, and no chunk of the others is left behind', async () => {
      const first = await open({ chunkSize: 1024, maxConnections: 4 });
      const second = await open({ chunkSize: 1024, maxConnections: 4 });
      const c = collection();
      const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(3000 + i * 1024, i));
      await Promise.all(versions.map((body, i) => (i % 2 === 0 ? first : second).saveStream(c, 'contended', chunks([body.subarray(0, 1500), body.subarray(1500)]))));
      const loaded = await first.load(c, 'contended');
      expect(versions.some((body) => body.equals(loaded!.data))).toBe(true);
      expect(await chunkRows({ collection: c, id: 'contended' })).toBe(Math.ceil(loaded!.data.byteLength / 1024));
      expect(await orphanChunks()).toBe(0);
    });
  });

  describe('ids and collections are checked as strictly as local storage', () => {
    it.each<[string, string]>([
      ['../etc/passwd', 'contains a path separator ("/" or "\\")'],
      ['..', 'is ".."'],
      ['', 'is empty'],
      ['/etc/passwd', 'is an absolute path'],
      ['.hidden', 'starts with "." (hidden and temporary files are reserved)'],
      ['a\0b', 'contains a NUL byte'],
      ["x'; DROP TABLE ae_storage_objects; --", 'contains the character "\'"'],
      ['x'.repeat(201), 'is 201 characters long (at most 200)'],
    ])('id %j is refused (%s) by every operation', async (id, reason) => {
      const storage = await open();
      const expectRefused = (error: ActionError): void => {
        expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_STORAGE_ID', context: { reason } });
        expect(error.message).toContain(`Storage id ${JSON.stringify(id)} in collection "results" is not allowed: it ${reason}.`);
      };
      expectRefused(await rejection(storage.save('results', id, Buffer.from('x'))));
      expectRefused(await rejection(storage.saveStream('results', id, chunks(['x']))));
      expectRefused(await rejection(storage.load('results', id)));
      expectRefused(await rejection(storage.loadStream('results', id)));
      expectRefused(await rejection(storage.exists('results', id)));
      expectRefused(await rejection(storage.delete('results', id)));
      expectRefused(await rejection(storage.stat('results', id)));
      expectRefused(thrownActionError(() => storage.bodySink('results', id)));
      expect((await sql.query("SELECT count(*)::int AS n FROM ae_storage_objects WHERE collection = 'results'")).rows[0].n).toBe(0);
    });

    it.each(['/abs', 'a//b', 'a/../b', 'back\\slash'])('collection %j is refused', async (bad) => {
      const storage = await open();
      expect((await rejection(storage.save(bad, 'item', Buffer.from('x')))).detail.code).toBe('INVALID_STORAGE_COLLECTION');
      expect((await rejection(storage.list(bad))).detail.code).toBe('INVALID_STORAGE_COLLECTION');
    });
  });
});
