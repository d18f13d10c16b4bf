/**
 * The local storage provider's fast paths (taken for the benchmarks of issue 6) keep its guarantees:
 * a directory cached as existing but removed behind its back is recreated, and a temp file's summary
 * (taken so the sidecar can be written while the data is flushed) is final.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStorageProvider } from '../storage/local-storage-provider.ts';
import { TempFile } from '../storage/temp-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'storage-fast-'));
  dirs.push(dir);
  return dir;
}

describe('storage fast paths', () => {
  it('a collection directory deleted after a save is created again by the next save', async () => {
    const root = tempDir();
    const storage = createLocalStorageProvider(root);
    await storage.save('results', 'a.json', Buffer.from('{"a":1}'));
    rmSync(join(root, 'results'), { recursive: true, force: true });
    const saved = await storage.save('results', 'b.json', Buffer.from('{"b":2}'));
    expect(readFileSync(saved.path, 'utf8')).toBe('{"b":2}');
    expect(await storage.load('results', 'b.json')).toMatchObject({ data: Buffer.from('{"b":2}') });
  });

  it('concurrent saves into one directory all land, each with a sidecar that matches its bytes', async () => {
    const storage = createLocalStorageProvider(tempDir());
    const payloads = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i * 10) })));
    await Promise.all(payloads.map((data, i) => storage.save('outputs', `item-${i}.json`, data, { contentType: 'application/json' })));
    for (const [i, data] of payloads.entries()) {
      const stat = await storage.stat('outputs', `item-${i}.json`);
      expect(stat).toMatchObject({ size: data.length, checksum: createHash('sha256').update(data).digest('hex'), contentType: 'application/json' });
    }
  });

  it("a temp file's summary is its size and SHA-256, and no write is accepted after it", async () => {
    const file = join(tempDir(), 'body.bin');
    const temp = await TempFile.create(file);
    await temp.write(Buffer.from('hello '));
    await temp.write(Buffer.from('world'));
    const summary = await temp.summary();
    expect(summary).toEqual({ size: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
    await expect(temp.write(Buffer.from('!'))).rejects.toThrow(/after its summary was taken/);
    // The failed write poisons the file: it can never be sealed with a hole or an extra byte.
    await expect(temp.seal()).rejects.toThrow(/after its summary was taken/);
    await temp.discard();
  });

  it('seal after summary returns the same summary and publishes the bytes', async () => {
    const file = join(tempDir(), 'body.bin');
    const temp = await TempFile.create(file);
    await temp.write(Buffer.from('abc'));
    const summary = await temp.summary();
    expect(await temp.seal()).toEqual(summary);
    await temp.publish();
    expect(readFileSync(file, 'utf8')).toBe('abc');
  });
});
