import { describe, it, expect, afterEach } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isActionError, type ActionError } from '../src/failure/errors.ts';
import { thrownActionError } from './support/thrown.ts';
import { SaveResultSchema } from '../src/schemas/storage.ts';
import { createLocalStorageProvider, type LocalStorageProvider } from '../storage/local-storage-provider.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh provider whose root is `<tmp>/root`, so the test can check nothing lands beside it. */
function provider(): { storage: LocalStorageProvider; base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'local-storage-test-'));
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  return { storage: createLocalStorageProvider(root), base, root };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function rejection(promise: Promise<unknown>): Promise<ActionError> {
  try {
    await promise;
  } catch (error) {
    if (isActionError(error)) return error;
    throw error;
  }
  throw new Error('expected an ActionError, but the promise resolved');
}

const syncRejection = thrownActionError;

/** Every entry under a directory, recursively, relative to it. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function* chunks(parts: (string | Uint8Array)[], failAfter?: { index: number; error: Error }): AsyncGenerator<Uint8Array> {
  for (const [index, part] of parts.entries()) {
    if (failAfter !== undefined && index === failAfter.index) throw failAfter.error;
    yield typeof part === 'string' ? Buffer.from(part) : part;
    await Promise.resolve();
  }
}

describe('local storage: save and load (EXEC-019)', () => {
  it('EXEC-019: a saved result loads back byte for byte with its metadata and a schema-valid location', async () => {
    const { storage, root } = provider();
    const data = Buffer.from(JSON.stringify({ actionId: 'fetch-user', status: 'completed' }));
    const location = await storage.save('results', 'e1.fetch-user.state.json', data, { contentType: 'application/json', metadata: { executionId: 'e1' } });
    expect(SaveResultSchema.parse(location)).toEqual(location);
    expect(location).toEqual({ provider: 'local', path: join(root, 'results', 'e1.fetch-user.state.json'), size: data.byteLength, checksum: sha256(data), contentType: 'application/json', metadata: { executionId: 'e1' } });
    expect(await storage.load('results', 'e1.fetch-user.state.json')).toEqual({ data, metadata: { executionId: 'e1', contentType: 'application/json' } });
  });

  it('the checksum is the SHA-256 of the bytes at the returned absolute path', async () => {
    const { storage } = provider();
    const data = randomBytes(100_003);
    const location = await storage.save('bodies', 'blob', data);
    expect(readFileSync(location.path).equals(data)).toBe(true);
    expect(location.checksum).toBe(sha256(readFileSync(location.path)));
    expect(location.path.startsWith('/')).toBe(true);
  });

  it('content type comes from options, else metadata.contentType, else application/octet-stream', async () => {
    const { storage } = provider();
    expect((await storage.save('c', 'a', Buffer.from('x'), { contentType: 'text/plain', metadata: { contentType: 'image/png' } })).contentType).toBe('text/plain');
    expect((await storage.save('c', 'b', Buffer.from('x'), { metadata: { contentType: 'image/png' } })).contentType).toBe('image/png');
    expect((await storage.save('c', 'c', Buffer.from('x'))).contentType).toBe('application/octet-stream');
    expect((await storage.load('c', 'c'))?.metadata).toEqual({ contentType: 'application/octet-stream' });
  });

  it('empty and all-byte-value bodies round trip exactly', async () => {
    const { storage } = provider();
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect((await storage.save('c', 'empty', Buffer.alloc(0))).checksum).toBe(sha256(Buffer.alloc(0)));
    await storage.save('c', 'bytes', everyByte);
    expect((await storage.load('c', 'empty'))?.data.byteLength).toBe(0);
    expect((await storage.load('c', 'bytes'))?.data.equals(everyByte)).toBe(true);
  });

  it('saving an id again replaces both data and metadata', async () => {
    const { storage } = provider();
    await storage.save('c', 'item', Buffer.from('old'), { metadata: { v: '1', only: 'old' } });
    const second = await storage.save('c', 'item', Buffer.from('new and longer'), { metadata: { v: '2' } });
    expect(await storage.load('c', 'item')).toEqual({ data: Buffer.from('new and longer'), metadata: { v: '2', contentType: 'application/octet-stream' } });
    expect(await storage.stat('c', 'item')).toEqual(second);
  });

  it('load is null, exists false and delete false for an item never saved; delete removes data and sidecar', async () => {
    const { storage, root } = provider();
    expect(await storage.load('c', 'missing')).toBeNull();
    expect(await storage.exists('c', 'missing')).toBe(false);
    expect(await storage.delete('c', 'missing')).toBe(false);
    expect(await storage.stat('c', 'missing')).toBeNull();
    await storage.save('c', 'item', Buffer.from('x'));
    expect(await storage.exists('c', 'item')).toBe(true);
    expect(await storage.delete('c', 'item')).toBe(true);
    expect(await storage.exists('c', 'item')).toBe(false);
    expect(tree(join(root, 'c'))).toEqual([]);
  });

  it('the sidecar next to the file records format, content type, size, checksum and metadata', async () => {
    const { storage } = provider();
    const location = await storage.save('c', 'item', Buffer.from('hello'), { contentType: 'text/plain', metadata: { k: 'v' } });
    expect(JSON.parse(readFileSync(`${location.path}.meta.json`, 'utf8'))).toEqual({ format: 1, contentType: 'text/plain', size: 5, sha256: sha256(Buffer.from('hello')), metadata: { k: 'v' } });
  });

  it('metadata values that are not strings are refused before anything is written', async () => {
    const { storage, root } = provider();
    const error = await rejection(storage.save('c', 'item', Buffer.from('x'), { metadata: { attempts: 3 as unknown as string } }));
    expect(error.detail.code).toBe('INVALID_STORAGE_METADATA');
    expect(error.message).toBe('Metadata "attempts" for storage id "item" in collection "c" is a number; metadata values must be strings.');
    expect(tree(root)).toEqual([]);
  });
});

describe('local storage: streaming and atomicity (EXEC-020)', () => {
  it('saveStream writes the concatenated chunks and checksums them', async () => {
    const { storage } = provider();
    const parts = ['{"a":', '1,"b":', '[1,2,3]}'];
    const location = await storage.saveStream('bodies', 'streamed', chunks(parts), { contentType: 'application/json' });
    const whole = Buffer.from(parts.join(''));
    expect(location).toMatchObject({ size: whole.byteLength, checksum: sha256(whole), contentType: 'application/json' });
    expect((await storage.load('bodies', 'streamed'))?.data.equals(whole)).toBe(true);
  });

  it('a stream aborted mid-way rejects with its own error and leaves no file and no temp file', async () => {
    const { storage, root } = provider();
    const aborted = new Error('upstream connection reset');
    await expect(storage.saveStream('bodies', 'partial', chunks(['first ', 'second ', 'third'], { index: 2, error: aborted }))).rejects.toBe(aborted);
    expect(await storage.exists('bodies', 'partial')).toBe(false);
    expect(tree(join(root, 'bodies'))).toEqual([]);
  });

  it('an aborted overwrite leaves the previous version intact and loadable', async () => {
    const { storage, root } = provider();
    await storage.save('bodies', 'item', Buffer.from('version 1'), { metadata: { v: '1' } });
    await expect(storage.saveStream('bodies', 'item', chunks(['version 2 part', 'x'], { index: 1, error: new Error('cut') }))).rejects.toThrow('cut');
    expect(await storage.load('bodies', 'item')).toEqual({ data: Buffer.from('version 1'), metadata: { v: '1', contentType: 'application/octet-stream' } });
    expect(tree(join(root, 'bodies'))).toEqual(['item', 'item.meta.json']);
  });

  it('bodySink: open, write, finish stores the body and returns the same location stat reports', async () => {
    const { storage } = provider();
    const sink = storage.bodySink('bodies', 'e1.fetch.attempt-1.body');
    const writer = await sink.open({ contentType: 'image/png' });
    const parts = [randomBytes(1000), randomBytes(5000), randomBytes(7)];
    for (const part of parts) await writer.write(part);
    const whole = Buffer.concat(parts);
    const location = await writer.finish({ size: whole.byteLength, sha256: sha256(whole) });
    expect(location).toMatchObject({ provider: 'local', size: whole.byteLength, checksum: sha256(whole), contentType: 'image/png' });
    expect(await storage.stat('bodies', 'e1.fetch.attempt-1.body')).toEqual(location);
    expect((await storage.load('bodies', 'e1.fetch.attempt-1.body'))?.data.equals(whole)).toBe(true);
  });

  it('bodySink: abort discards the partial body without leaving a temp file', async () => {
    const { storage, root } = provider();
    const writer = await storage.bodySink('bodies', 'cut').open({ contentType: 'application/octet-stream' });
    await writer.write(Buffer.from('partial body'));
    expect(tree(join(root, 'bodies'))).toHaveLength(1); // the hidden temp file, while writing
    await writer.abort();
    await writer.abort(); // idempotent
    expect(tree(join(root, 'bodies'))).toEqual([]);
    expect(await storage.exists('bodies', 'cut')).toBe(false);
  });

  it('bodySink: a finish summary that disagrees with the written bytes stores nothing', async () => {
    const { storage, root } = provider();
    const writer = await storage.bodySink('bodies', 'wrong').open({ contentType: 'text/plain' });
    await writer.write(Buffer.from('abc'));
    const error = await rejection(writer.finish({ size: 4, sha256: sha256(Buffer.from('abcd')) }));
    expect(error.detail.code).toBe('BODY_SUMMARY_MISMATCH');
    expect(error.message).toContain('3 bytes');
    expect(tree(join(root, 'bodies'))).toEqual([]);
  });

  it('bodySink: a base64 SHA-256 in the summary is accepted as the same digest', async () => {
    const { storage } = provider();
    const writer = await storage.bodySink('bodies', 'b64').open({ contentType: '' });
    await writer.write(Buffer.from('hello'));
    const digest = createHash('sha256').update('hello').digest('base64');
    const location = await writer.finish({ size: 5, sha256: digest });
    expect(location.checksum).toBe(sha256(Buffer.from('hello')));
    expect(location.contentType).toBe('application/octet-stream');
  });

  /** Retained memory (heap + ArrayBuffers after a full GC) sampled while a 64 MiB stream is consumed. */
  async function peakRetainedGrowth(consume: (source: AsyncIterable<Uint8Array>) => Promise<unknown>): Promise<{ peak: number; hash: string }> {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const retained = () => {
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const independent = createHash('sha256');
    const baseline = retained();
    let peak = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 1024; i += 1) {
        const chunk = Buffer.alloc(64 * 1024, i % 251); // a fresh 64 KiB chunk each time, 64 MiB in all
        independent.update(chunk);
        if (i % 128 === 127) peak = Math.max(peak, retained() - baseline);
        yield chunk;
      }
    }
    await consume(source());
    peak = Math.max(peak, retained() - baseline);
    return { peak, hash: independent.digest('hex') };
  }

  it('EXEC-020: a 64 MiB stream is saved with retained memory growth under 32 MiB', async () => {
    const { storage } = provider();
    let location: Awaited<ReturnType<LocalStorageProvider['saveStream']>> | undefined;
    const { peak, hash } = await peakRetainedGrowth(async (source) => {
      location = await storage.saveStream('bodies', 'large', source);
    });
    expect(location?.size).toBe(64 * 1024 * 1024);
    expect(location?.checksum).toBe(hash);
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });

  it('the memory measurement is sensitive: a consumer that buffers the same stream exceeds the bound', async () => {
    const held: Uint8Array[] = [];
    const { peak } = await peakRetainedGrowth(async (source) => {
      for await (const chunk of source) held.push(chunk);
    });
    expect(held).toHaveLength(1024);
    expect(peak).toBeGreaterThan(32 * 1024 * 1024);
    held.length = 0;
  });
});

describe('local storage: list', () => {
  it('lists stored ids sorted, never sidecars, temp files or sub-collections', async () => {
    const { storage, root } = provider();
    for (const id of ['b', 'a', 'c.json']) await storage.save('results', id, Buffer.from(id));
    writeFileSync(join(root, 'results', '.a.1234abcd.tmp'), 'left by a crash');
    writeFileSync(join(root, 'results', 'orphan.meta.json'), '{}');
    await storage.save('results/nested', 'deep', Buffer.from('x'));
    expect(await storage.list('results')).toEqual(['a', 'b', 'c.json']);
    expect(await storage.list('results/nested')).toEqual(['deep']);
  });

  it('filters by prefix', async () => {
    const { storage } = provider();
    for (const id of ['e1.a.state.json', 'e1.b.state.json', 'e2.a.state.json']) await storage.save('results', id, Buffer.from('{}'));
    expect(await storage.list('results', 'e1.')).toEqual(['e1.a.state.json', 'e1.b.state.json']);
    expect(await storage.list('results', 'zzz')).toEqual([]);
  });

  it('a collection never written to lists as empty', async () => {
    const { storage } = provider();
    expect(await storage.list('nothing-here')).toEqual([]);
  });
});

describe('local storage: batches', () => {
  it('saveBatch saves in order; loadBatch returns each item or null, in order', async () => {
    const { storage } = provider();
    const results = await storage.saveBatch([
      { collection: 'results', id: 'one', data: Buffer.from('1'), metadata: { contentType: 'text/plain', n: '1' } },
      { collection: 'outputs', id: 'two', data: Buffer.from('22') },
    ]);
    expect(results.map((r) => [r.size, r.contentType, r.metadata])).toEqual([[1, 'text/plain', { contentType: 'text/plain', n: '1' }], [2, 'application/octet-stream', {}]]);
    const loaded = await storage.loadBatch([{ collection: 'outputs', id: 'two' }, { collection: 'results', id: 'absent' }, { collection: 'results', id: 'one' }]);
    expect(loaded).toEqual([{ data: Buffer.from('22'), metadata: { contentType: 'application/octet-stream' } }, null, { data: Buffer.from('1'), metadata: { contentType: 'text/plain', n: '1' } }]);
  });

  it('a batch with one bad id fails before anything is written', async () => {
    const { storage, root } = provider();
    const error = await rejection(storage.saveBatch([
      { collection: 'results', id: 'fine', data: Buffer.from('1') },
      { collection: 'results', id: '../escape', data: Buffer.from('2') },
    ]));
    expect(error.detail.code).toBe('INVALID_STORAGE_ID');
    expect(tree(root)).toEqual([]);
    expect(await rejection(storage.loadBatch([{ collection: '/etc', id: 'passwd' }]))).toMatchObject({ detail: { code: 'INVALID_STORAGE_COLLECTION' } });
  });
});

describe('local storage: ids and collections cannot escape the root', () => {
  const badIds: [string, string][] = [
    ['../etc/passwd', 'contains a path separator ("/" or "\\")'],
    ['..', 'is ".."'],
    ['.', 'is "."'],
    ['', 'is empty'],
    ['/etc/passwd', 'is an absolute path'],
    ['C:\\Windows\\win.ini', 'is an absolute path'],
    ['a/b', 'contains a path separator ("/" or "\\")'],
    ['a\\..\\b', 'contains a path separator ("/" or "\\")'],
    ['x\0y', 'contains a NUL byte'],
    ['.hidden', 'starts with "." (hidden and temporary files are reserved)'],
    ['state.meta.json', 'ends in ".meta.json", which is reserved for metadata sidecars'],
    ['a'.repeat(201), 'is 201 characters long (at most 200)'],
    ['has space', 'contains the character " "'],
    ['naïve', 'contains the character "ï"'],
  ];

  it.each(badIds)('id %j is refused (%s) by every operation, and nothing is created', async (id, reason) => {
    const { storage, base } = provider();
    const expectRefused = (error: ActionError) => {
      expect(error.detail.category).toBe('validation_failed');
      expect(error.detail.code).toBe('INVALID_STORAGE_ID');
      expect(error.detail.context.reason).toBe(reason);
      expect(error.message).toContain(`Storage id ${JSON.stringify(id)} in collection "results" is not allowed: it ${reason}.`);
    };
    expectRefused(await rejection(storage.save('results', id, Buffer.from('x'))));
    expectRefused(await rejection(storage.saveStream('results', id, chunks(['x']))));
    expectRefused(await rejection(storage.load('results', id)));
    expectRefused(await rejection(storage.exists('results', id)));
    expectRefused(await rejection(storage.delete('results', id)));
    expectRefused(await rejection(storage.stat('results', id)));
    expectRefused(syncRejection(() => storage.bodySink('results', id)));
    expect(tree(base)).toEqual([]);
  });

  const badCollections: [string, string][] = [
    ['../outside', 'has a ".." segment'],
    ['results/../../outside', 'has a ".." segment'],
    ['/tmp', 'is an absolute path'],
    ['', 'is empty'],
    ['a//b', 'has an empty segment'],
    ['results/', 'has an empty segment'],
    ['a\\b', 'contains a backslash'],
    ['nul\0byte', 'has a segment that contains a NUL byte'],
    ['.git', 'has a segment that starts with "." (hidden and temporary files are reserved)'],
  ];

  it.each(badCollections)('collection %j is refused (%s), and nothing is created', async (collection, reason) => {
    const { storage, base } = provider();
    const error = await rejection(storage.save(collection, 'item', Buffer.from('x')));
    expect(error.detail.code).toBe('INVALID_STORAGE_COLLECTION');
    expect(error.detail.context.reason).toBe(reason);
    expect((await rejection(storage.list(collection))).detail.code).toBe('INVALID_STORAGE_COLLECTION');
    expect(tree(base)).toEqual([]);
  });

  it('the refusal message says what is allowed', async () => {
    const { storage } = provider();
    const error = await rejection(storage.save('results', '../../etc/passwd', Buffer.from('x')));
    expect(error.message).toBe('Storage id "../../etc/passwd" in collection "results" is not allowed: it contains a path separator ("/" or "\\"). An id is 1–200 characters of letters, digits and . _ - = @ +, starting with a letter or digit, not ending in ".meta.json".');
    expect(error.detail.suggestion).toMatch(/hash free-form action ids/);
  });

  it.each(['7d1e0c8e-0000-4000-8000-000000000001.fetch-user.state.json', 'a=b@c+d_e', '1..2', 'x'.repeat(200)])('id %j is allowed and round trips', async (id) => {
    const { storage, root } = provider();
    const location = await storage.save('results', id, Buffer.from(id));
    expect(location.path).toBe(join(root, 'results', id));
    expect((await storage.load('results', id))?.data.toString()).toBe(id);
    expect(await storage.list('results')).toEqual([id]);
  });
});

describe('local storage: damage and failures are reported, not hidden', () => {
  it('a file changed outside the provider fails load with STORAGE_CHECKSUM_MISMATCH naming it', async () => {
    const { storage } = provider();
    const location = await storage.save('results', 'item', Buffer.from('original'));
    writeFileSync(location.path, 'tampered');
    const error = await rejection(storage.load('results', 'item'));
    expect(error.detail.code).toBe('STORAGE_CHECKSUM_MISMATCH');
    expect(error.message).toContain(`Stored file ${location.path} does not match its metadata: it has 8 bytes with SHA-256 ${sha256(Buffer.from('tampered'))}`);
  });

  it('an unreadable sidecar fails load with STORAGE_METADATA_CORRUPT naming the sidecar', async () => {
    const { storage } = provider();
    const location = await storage.save('results', 'item', Buffer.from('x'));
    writeFileSync(`${location.path}.meta.json`, '{"format":1,"trunc');
    const error = await rejection(storage.load('results', 'item'));
    expect(error.detail.code).toBe('STORAGE_METADATA_CORRUPT');
    expect(error.message).toContain(`Metadata sidecar ${location.path}.meta.json of storage id "item" in collection "results" is unreadable`);
  });

  it('a file copied in by hand (no sidecar) loads as opaque bytes', async () => {
    const { storage, root } = provider();
    mkdirSync(join(root, 'imports'), { recursive: true });
    writeFileSync(join(root, 'imports', 'manual.bin'), 'raw');
    expect(await storage.load('imports', 'manual.bin')).toEqual({ data: Buffer.from('raw'), metadata: { contentType: 'application/octet-stream' } });
    expect(await storage.list('imports')).toEqual(['manual.bin']);
    expect(await storage.stat('imports', 'manual.bin')).toEqual({ provider: 'local', path: join(root, 'imports', 'manual.bin'), size: 3, checksum: sha256(Buffer.from('raw')), contentType: 'application/octet-stream', metadata: {} });
  });

  it('a storage root that is a file fails the save with STORAGE_SAVE_FAILED naming the path', async () => {
    const { base } = provider();
    const rootFile = join(base, 'root-is-a-file');
    writeFileSync(rootFile, 'not a directory');
    const storage = createLocalStorageProvider(rootFile);
    const error = await rejection(storage.save('results', 'item', Buffer.from('x')));
    expect(error.detail.code).toBe('STORAGE_SAVE_FAILED');
    expect(error.detail.context.errno).toMatch(/^(EEXIST|ENOTDIR)$/);
    expect(error.message).toContain(`Storage save of ${join(rootFile, 'results', 'item')} failed:`);
  });
});
