/**
 * The building blocks of an atomic file write: bytes go to a hidden temporary file in the target's
 * own directory (so the final rename never crosses a file system), are fsynced, and only then renamed
 * over the final name; the directory is fsynced so the rename itself survives a power loss. A reader
 * therefore sees the old file or the new one, never a partial one.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file being written under a temporary name next to its final path. */
export class TempFile {
  /** Where the bytes are until {@link publish}. */
  readonly tempPath: string;
  readonly finalPath: string;
  private handle: FileHandle | null;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private digest: string | undefined;
  private state: 'writing' | 'sealed' | 'published' | 'discarded' = 'writing';

  private constructor(finalPath: string, tempPath: string, handle: FileHandle) {
    this.finalPath = finalPath;
    this.tempPath = tempPath;
    this.handle = handle;
  }

  /**
   * Creates the temporary file (`.<name>.<random>.tmp`, exclusive create) beside `finalPath`. The
   * leading dot keeps it out of listings; the random part lets concurrent writers of one id coexist.
   */
  static async create(finalPath: string): Promise<TempFile> {
    const tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${randomUUID().slice(0, 8)}.tmp`);
    const handle = await open(tempPath, 'wx', 0o644);
    return new TempFile(finalPath, tempPath, handle);
  }

  /**
   * Appends a chunk, hashing it on the way; resolves once the OS has it (natural backpressure).
   * Calls are serialised, so a caller that forgets to await cannot interleave or reorder bytes.
   */
  write(chunk: Uint8Array): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.failure !== null) throw this.failure.error;
      if (this.state !== 'writing' || this.handle === null) throw new Error(`TempFile ${this.tempPath}: write after ${this.state}`);
      if (this.digest !== undefined) throw new Error(`TempFile ${this.tempPath}: write after its summary was taken`);
      this.hash.update(chunk);
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await this.handle.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
      this.size += chunk.byteLength;
    });
    // A failed write fails this call and poisons the file: later writes and seal() rethrow it, so a
    // file with a hole can never be sealed and published.
    this.queue = next.catch((error: unknown) => {
      this.failure ??= { error };
    });
    return next;
  }

  /**
   * Size and SHA-256 (lowercase hex) of everything written so far, once pending writes are done,
   * without flushing: what a caller needs to describe the file while {@link seal} flushes it.
   * Writing after this is refused, because the digest is final.
   */
  async summary(): Promise<{ size: number; sha256: string }> {
    await this.queue;
    if (this.failure !== null) throw this.failure.error;
    this.digest ??= this.hash.digest('hex');
    return { size: this.size, sha256: this.digest };
  }

  /**
   * Closes the file — after flushing its bytes to disk when `sync` (durability `machine`; a process
   * crash loses nothing the OS already holds, so `process` skips the fsync) — and returns its size and
   * SHA-256 (lowercase hex).
   */
  async seal(sync = true): Promise<{ size: number; sha256: string }> {
    const summary = await this.summary();
    if (this.state !== 'writing' || this.handle === null) throw new Error(`TempFile ${this.tempPath}: seal after ${this.state}`);
    const handle = this.handle;
    this.handle = null;
    try {
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    this.state = 'sealed';
    return summary;
  }

  /** Renames the sealed file over its final name (atomic on POSIX). Fsync the directory afterwards. */
  async publish(): Promise<void> {
    if (this.state !== 'sealed') throw new Error(`TempFile ${this.tempPath}: publish while ${this.state}`);
    await rename(this.tempPath, this.finalPath);
    this.state = 'published';
  }

  /** Closes and removes the temporary file; safe to call in any state and more than once. */
  async discard(): Promise<void> {
    if (this.state === 'published' || this.state === 'discarded') return;
    this.state = 'discarded';
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/** Fsyncs a directory so renames and unlinks in it are durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file atomically (temp, fsync when `sync`, rename); the caller fsyncs the directory. */
export async function writeFileAtomically(finalPath: string, data: Uint8Array, sync = true): Promise<void> {
  const temp = await TempFile.create(finalPath);
  try {
    await temp.write(data);
    await temp.seal(sync);
    await temp.publish();
  } finally {
    await temp.discard();
  }
}
