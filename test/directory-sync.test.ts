/**
 * Group commit of directory fsyncs (storage/directory-sync.ts): concurrent saves share an fsync, yet
 * every caller is answered only by an fsync that started after it asked.
 */
import { describe, expect, it } from 'vitest';
import { createDirectorySyncer } from '../storage/directory-sync.ts';

/** An fsync stand-in the test completes by hand, recording when each one started. */
function manualFsync() {
  const started: { directory: string; finish: (error?: Error) => void }[] = [];
  const fsync = (directory: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      started.push({ directory, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { started, fsync };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('directory fsync group commit', () => {
  it('callers that arrive while an fsync runs share the next one, which starts after it', async () => {
    const { started, fsync } = manualFsync();
    const syncer = createDirectorySyncer(fsync);
    const done: string[] = [];
    const first = syncer.sync('/d').then(() => done.push('first'));
    await tick();
    expect(started).toHaveLength(1);
    // Two saves renamed their files while the first fsync was already running.
    const second = syncer.sync('/d').then(() => done.push('second'));
    const third = syncer.sync('/d').then(() => done.push('third'));
    await tick();
    expect(started).toHaveLength(1);
    started[0]!.finish();
    await first;
    await tick();
    // The running fsync may have missed their renames: they must not be answered by it.
    expect(done).toEqual(['first']);
    expect(started).toHaveLength(2);
    started[1]!.finish();
    await Promise.all([second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    expect(started).toHaveLength(2);
  });

  it('different directories are synced independently', async () => {
    const { started, fsync } = manualFsync();
    const syncer = createDirectorySyncer(fsync);
    const a = syncer.sync('/a');
    const b = syncer.sync('/b');
    await tick();
    expect(started.map((s) => s.directory)).toEqual(['/a', '/b']);
    for (const s of started) s.finish();
    await Promise.all([a, b]);
  });

  it('an fsync failure rejects every caller it served, and the next caller gets a fresh fsync', async () => {
    const { started, fsync } = manualFsync();
    const syncer = createDirectorySyncer(fsync);
    const first = syncer.sync('/d');
    await tick();
    const waiting = [syncer.sync('/d'), syncer.sync('/d')];
    started[0]!.finish();
    await first;
    await tick();
    started[1]!.finish(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    for (const promise of waiting) await expect(promise).rejects.toThrow(/EIO/);
    const later = syncer.sync('/d');
    await tick();
    expect(started).toHaveLength(3);
    started[2]!.finish();
    await expect(later).resolves.toBeUndefined();
  });
});
