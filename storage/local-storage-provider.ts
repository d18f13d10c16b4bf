/**
 * The spec's StorageProvider (§4.2) on the local file system (DESIGN §6 "Storage provider";
 * EXEC-019, EXEC-020). Layout: `<root>/<collection>/<id>` holds the bytes exactly as given and
 * `<root>/<collection>/<id>.meta.json` the sidecar (content type, size, SHA-256, metadata).
 *
 * Order of a save: the bytes go to a hidden temp file (fsynced in durability `machine`); the sidecar is written
 * atomically; the temp file is renamed over `<id>`; the directory is fsynced. The sidecar goes first
 * so a visible data file always has one. A crash between the two renames leaves the old bytes under a
 * new sidecar; load detects that by checksum instead of returning mismatched metadata.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ActionError, actionError, errorDetail, isActionError } from '../src/failure/errors.ts';
import type { BodySink, BodySinkWriter } from '../src/http/http-types.ts';
import type { LoadOperation, LoadResult, SaveOperation, SaveResult } from '../src/schemas/storage.ts';
import type { SaveOptions, StreamingStorageProvider } from './streaming-storage-provider.ts';
import { SIDECAR_SUFFIX, checkCollection, checkId } from './storage-names.ts';
import { DEFAULT_CONTENT_TYPE, checkMetadata, contentTypeOf, sameSummary } from './storage-metadata.ts';
import { TempFile, fsyncDirectory, writeFileAtomically } from './temp-file.ts';
import { createDirectorySyncer } from './directory-sync.ts';

/** The executor's storage surface on local files; stat reads the sidecar, never the data. */
export interface LocalStorageProvider extends StreamingStorageProvider {
  /** Absolute storage root; every file lives below it. */
  readonly root: string;
}

/** Options of {@link createLocalStorageProvider}. */
export interface LocalStorageOptions {
  /**
   * `process`: atomic renames, no fsync (a process crash loses nothing the OS holds, and the journal
   * in this mode does not fsync either, so files are never more durable than the journal pointing at
   * them). `machine`: files and their directories are fsynced before a save returns, so they survive
   * power loss before the journal commit that names them. @default 'process'
   */
  durability?: 'process' | 'machine';
}

/** What the sidecar file holds. `format` versions it. */
interface Sidecar {
  format: 1;
  contentType: string;
  size: number;
  sha256: string;
  metadata: Record<string, string>;
}

/** Saves up to this size take the synchronous path in durability `process` (see saveSmall). */
const SMALL_SAVE_BYTES = 256 * 1024;

/** The content type an item's name implies when no sidecar records one. */
function impliedContentType(id: string): string {
  return id.endsWith('.json') ? 'application/json' : DEFAULT_CONTENT_TYPE;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Wraps a file-system failure so the message names the operation and the file. */
function ioFailure(operation: 'save' | 'load' | 'delete' | 'list', file: string, error: unknown): ActionError {
  if (isActionError(error)) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'UNKNOWN';
  const reason = error instanceof Error ? error.message : String(error);
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
  const detail = errorDetail('state_inconsistent', `Storage ${operation} of ${file} failed: ${reason}.`, {
    code: `STORAGE_${operation.toUpperCase()}_FAILED`,
    retryable: transient,
    context: { file, operation, errno: code },
    suggestion: code === 'ENOSPC' ? 'The disk is full: free space under the storage directory, then resume.' : 'Check that the storage directory exists, is writable by this user and is on a local disk.',
  });
  return new ActionError(detail, { cause: error });
}

/** Creates the provider over `rootDir` (resolved to an absolute path; created on first save). */
export function createLocalStorageProvider(rootDir: string, options: LocalStorageOptions = {}): LocalStorageProvider {
  const root = resolve(rootDir);
  const sync = options.durability === 'machine';

  /** Absolute paths for an item, after validating both names and checking the result stays inside root. */
  const locate = (collection: string, id: string): { dir: string; file: string; sidecar: string } => {
    const dir = join(root, ...checkCollection(collection));
    checkId(collection, id);
    const file = join(dir, id);
    const inside = relative(root, file);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      // Unreachable after the name checks; kept so a future relaxation of them cannot open an escape.
      throw actionError('validation_failed', `Storage id "${id}" in collection "${collection}" resolves outside the storage root ${root}.`, { code: 'INVALID_STORAGE_ID', context: { collection, id } });
    }
    return { dir, file, sidecar: `${file}${SIDECAR_SUFFIX}` };
  };

  /** Directories this provider made sure of; a save into one of them skips the mkdir round trip. */
  const knownDirectories = new Set<string>();
  /** Concurrent saves into one directory share its fsync (see directory-sync.ts). */
  const directories = createDirectorySyncer();

  /** mkdir -p, fsyncing the parent of each directory it created so they survive a power loss. */
  const ensureDirectory = async (dir: string): Promise<void> => {
    if (knownDirectories.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    knownDirectories.add(dir);
    if (first === undefined) return;
    // mkdir created `first` and every directory below it down to `dir`.
    const created: string[] = [];
    for (let current = dir; ; current = dirname(current)) {
      created.push(current);
      if (current === first || dirname(current) === current) break;
    }
    if (sync) for (const directory of created.reverse()) await fsyncDirectory(dirname(directory));
  };

  /**
   * Creates the temp file for a save. A directory removed behind the provider's back (its cache says
   * it exists) is created again instead of failing the save.
   */
  const createTemp = async (dir: string, file: string): Promise<TempFile> => {
    await ensureDirectory(dir);
    try {
      return await TempFile.create(file);
    } catch (error) {
      if (!isMissing(error) || !knownDirectories.delete(dir)) throw error;
      await ensureDirectory(dir);
      return TempFile.create(file);
    }
  };

  /**
   * The common tail of every save: flush the temp file while the sidecar is written (atomically, on
   * its own), then publish the data over its final name and fsync the directory. The sidecar is
   * renamed into place before the data, so a visible data file always has one.
   */
  const commit = async (
    target: { collection: string; id: string; dir: string; file: string; sidecar: string },
    temp: TempFile,
    options: SaveOptions,
    expected?: { size: number; sha256: string },
  ): Promise<SaveResult> => {
    const sealed = await temp.summary();
    if (expected !== undefined && !sameSummary(sealed, expected)) {
      throw actionError('state_inconsistent', `Body written to ${target.file} does not match what the HTTP layer counted: ${sealed.size} bytes with SHA-256 ${sealed.sha256} on disk, ${expected.size} bytes with ${expected.sha256} reported. Nothing was stored.`, {
        code: 'BODY_SUMMARY_MISMATCH',
        context: { file: target.file, writtenSize: String(sealed.size), reportedSize: String(expected.size) },
        suggestion: 'Every chunk must be passed to write() exactly once, in order, before finish(); this is a bug in the caller.',
      });
    }
    const metadata = { ...(options.metadata ?? {}) };
    const contentType = contentTypeOf(options);
    const sidecar: Sidecar = { format: 1, contentType, size: sealed.size, sha256: sealed.sha256, metadata };
    // Both fsyncs run at once; neither result is looked at before both have settled.
    const [flushed, described] = await Promise.allSettled([
      temp.seal(sync),
      options.sidecar === false ? rm(target.sidecar, { force: true }) : writeFileAtomically(target.sidecar, Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`), sync),
    ]);
    if (flushed.status === 'rejected') throw flushed.reason;
    if (described.status === 'rejected') throw described.reason;
    await temp.publish();
    if (sync) await directories.sync(target.dir);
    return { provider: 'local', path: target.file, size: sealed.size, checksum: sealed.sha256, contentType, metadata };
  };

  /** Runs a whole save from a chunk source, discarding the temp file on any failure. */
  const saveFrom = async (collection: string, id: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SaveOptions = {}): Promise<SaveResult> => {
    const target = { collection, id, ...locate(collection, id) };
    checkMetadata(collection, id, options.metadata ?? {});
    let temp: TempFile | undefined;
    try {
      temp = await createTemp(target.dir, target.file);
      for await (const chunk of source) await temp.write(chunk);
      return await commit(target, temp, options);
    } catch (error) {
      await temp?.discard();
      // The source's own failure (an aborted upstream stream) is the caller's to interpret: pass it on.
      if (!isFileSystemError(error)) throw error;
      throw ioFailure('save', target.file, error);
    }
  };

  /**
   * A small save in durability `process` (outputs, results): the same files, order and atomicity as
   * the streaming path — sidecar first, then data, each written under a temporary name and renamed —
   * but as synchronous system calls. Each takes microseconds, where the promise API pays a thread-pool
   * round trip per call; with no fsync to wait for, that round trip was most of a save's cost.
   */
  const saveSmall = async (collection: string, id: string, data: Buffer, options: SaveOptions): Promise<SaveResult> => {
    const target = locate(collection, id);
    checkMetadata(collection, id, options.metadata ?? {});
    try {
      await ensureDirectory(target.dir);
    } catch (error) {
      throw ioFailure('save', target.file, error);
    }
    const metadata = { ...(options.metadata ?? {}) };
    const contentType = options.contentType ?? metadata.contentType ?? DEFAULT_CONTENT_TYPE;
    const sha256 = createHash('sha256').update(data).digest('hex');
    const sidecar: Sidecar = { format: 1, contentType, size: data.byteLength, sha256, metadata };
    const suffix = `${randomUUID().slice(0, 8)}.tmp`;
    const tempSidecar = join(target.dir, `.${id}${SIDECAR_SUFFIX}.${suffix}`);
    const tempData = join(target.dir, `.${id}.${suffix}`);
    const described = options.sidecar ?? true;
    try {
      if (described) writeFileSync(tempSidecar, `${JSON.stringify(sidecar, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
      writeFileSync(tempData, data, { flag: 'wx', mode: 0o644 });
      // An older sidecar of this id would now describe other bytes: replace it, or remove it.
      if (described) renameSync(tempSidecar, target.sidecar);
      else rmSync(target.sidecar, { force: true });
      renameSync(tempData, target.file);
    } catch (error) {
      rmSync(tempSidecar, { force: true });
      rmSync(tempData, { force: true });
      if (isMissing(error) && knownDirectories.delete(target.dir)) return saveSmall(collection, id, data, options);
      throw ioFailure('save', target.file, error);
    }
    return { provider: 'local', path: target.file, size: data.byteLength, checksum: sha256, contentType, metadata };
  };

  const readSidecar = async (collection: string, id: string, sidecarPath: string): Promise<Sidecar | null> => {
    let text: string;
    try {
      text = await readFile(sidecarPath, 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw ioFailure('load', sidecarPath, error);
    }
    try {
      const parsed = JSON.parse(text) as Partial<Sidecar>;
      if (parsed.format !== 1 || typeof parsed.sha256 !== 'string' || typeof parsed.size !== 'number' || typeof parsed.contentType !== 'string') throw new Error('unexpected shape');
      return { format: 1, contentType: parsed.contentType, size: parsed.size, sha256: parsed.sha256, metadata: parsed.metadata ?? {} };
    } catch (error) {
      throw actionError('state_inconsistent', `Metadata sidecar ${sidecarPath} of storage id "${id}" in collection "${collection}" is unreadable: ${(error as Error).message}.`, {
        code: 'STORAGE_METADATA_CORRUPT',
        context: { file: sidecarPath, collection, id },
        suggestion: 'The file was edited or truncated outside action-executor. Save the item again, or delete both files.',
      });
    }
  };

  const load = async (collection: string, id: string): Promise<LoadResult | null> => {
    const { file, sidecar: sidecarPath } = locate(collection, id);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw ioFailure('load', file, error);
    }
    const sidecar = await readSidecar(collection, id, sidecarPath);
    // Saved without a sidecar, or copied in by hand: serve its bytes rather than refusing it.
    if (sidecar === null) return { data, metadata: { contentType: impliedContentType(id) } };
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (sha256 !== sidecar.sha256 || data.byteLength !== sidecar.size) {
      throw actionError('state_inconsistent', `Stored file ${file} does not match its metadata: it has ${data.byteLength} bytes with SHA-256 ${sha256}, the sidecar records ${sidecar.size} bytes with ${sidecar.sha256}. It was changed outside action-executor, or an overwrite was interrupted between writing the metadata and the data.`, {
        code: 'STORAGE_CHECKSUM_MISMATCH',
        context: { file, collection, id, actualSha256: sha256, recordedSha256: sidecar.sha256 },
        suggestion: 'Do not trust this copy: save the item again (resuming the execution re-stores its result), or delete it.',
      });
    }
    return { data, metadata: { ...sidecar.metadata, contentType: sidecar.contentType } };
  };

  return {
    root,

    save(collection, id, data, options = {}) {
      if (!sync && Buffer.isBuffer(data) && data.byteLength <= SMALL_SAVE_BYTES) return saveSmall(collection, id, data, options);
      return saveFrom(collection, id, [data], options);
    },

    saveStream(collection, id, source, options) {
      return saveFrom(collection, id, source, options);
    },

    bodySink(collection, id): BodySink {
      const target = { collection, id, ...locate(collection, id) };
      return {
        async open(meta): Promise<BodySinkWriter> {
          let temp: TempFile;
          try {
            temp = await createTemp(target.dir, target.file);
          } catch (error) {
            throw ioFailure('save', target.file, error);
          }
          return {
            async write(chunk) {
              try {
                await temp.write(chunk);
              } catch (error) {
                throw ioFailure('save', target.file, error);
              }
            },
            async finish(summary) {
              try {
                return await commit(target, temp, { contentType: meta.contentType || DEFAULT_CONTENT_TYPE }, summary);
              } catch (error) {
                await temp.discard();
                throw ioFailure('save', target.file, error);
              }
            },
            async abort() {
              await temp.discard();
            },
          };
        },
      };
    },

    async stat(collection, id) {
      const { file, sidecar: sidecarPath } = locate(collection, id);
      if (!(await isFile(file))) return null;
      const sidecar = await readSidecar(collection, id, sidecarPath);
      if (sidecar === null) {
        // Saved without a sidecar, or copied in by hand: describe it as load would serve it, hashing it as a stream.
        const { size, sha256 } = await hashFile(file);
        return { provider: 'local', path: file, size, checksum: sha256, contentType: impliedContentType(id), metadata: {} };
      }
      return { provider: 'local', path: file, size: sidecar.size, checksum: sidecar.sha256, contentType: sidecar.contentType, metadata: sidecar.metadata };
    },

    load,

    async loadStream(collection, id) {
      const { file } = locate(collection, id);
      if (!(await isFile(file))) return null;
      return streamFile(file);
    },

    async exists(collection, id) {
      return isFile(locate(collection, id).file);
    },

    async list(collection, prefix = '') {
      const dir = join(root, ...checkCollection(collection));
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return [];
        throw ioFailure('list', dir, error);
      }
      return entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && !entry.name.endsWith(SIDECAR_SUFFIX) && entry.name.startsWith(prefix))
        .map((entry) => entry.name)
        .sort();
    },

    async delete(collection, id) {
      const { dir, file, sidecar } = locate(collection, id);
      try {
        // Data first: an interrupted delete leaves an orphan sidecar, which nothing lists or loads.
        const existed = await isFile(file);
        if (existed) await rm(file);
        await rm(sidecar, { force: true });
        if (existed && sync) await fsyncDirectory(dir);
        return existed;
      } catch (error) {
        throw ioFailure('delete', file, error);
      }
    },

    async saveBatch(operations: SaveOperation[]) {
      // Validate every name first, so one bad id fails the batch before anything is written.
      for (const op of operations) {
        locate(op.collection, op.id);
        checkMetadata(op.collection, op.id, op.metadata ?? {});
      }
      // Sequential: bounded file handles and a deterministic order; each item is atomic, the batch is not.
      const results: SaveResult[] = [];
      for (const op of operations) {
        results.push(await saveFrom(op.collection, op.id, [op.data], op.metadata === undefined ? {} : { metadata: op.metadata }));
      }
      return results;
    },

    async loadBatch(operations: LoadOperation[]) {
      for (const op of operations) locate(op.collection, op.id);
      return Promise.all(operations.map((op) => load(op.collection, op.id)));
    },
  };
}

function isFileSystemError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
  } catch (error) {
    throw ioFailure('load', path, error);
  }
  return { size, sha256: hash.digest('hex') };
}

/** The file's chunks; a read failure (the file removed meanwhile, EIO) is an ioFailure naming it. */
async function* streamFile(path: string): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  } catch (error) {
    throw ioFailure('load', path, error);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw ioFailure('load', path, error);
  }
}
