/**
 * Reads every `*.json` file of one directory (not its subdirectories), in name order, for the
 * definition and catalog loaders. Only regular files are read (a symlink to one is fine): a FIFO or a
 * device named `*.json` would block or never end, so it is reported without being read, as are files
 * over the size cap. Unreadable files, bytes that are not UTF-8 and invalid JSON become LoadProblems
 * with the line and column; the other files are still returned.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { byFile, type LoadProblem } from './load-problem.ts';
import { parseJsonLocated } from '../support/parse-json-located.ts';

/** One parsed file. */
export interface JsonFile {
  file: string;
  value: unknown;
}

/** Definition and catalog files are small; anything bigger is a mistake (a log or a dump). 1 MiB. */
export const DEFAULT_MAX_JSON_FILE_BYTES = 1024 * 1024;

/** Options of the directory loaders. */
export interface JsonDirectoryOptions {
  /** Largest file read, in bytes; a bigger one is reported and not read. @default DEFAULT_MAX_JSON_FILE_BYTES (1 MiB) */
  maxFileBytes?: number;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return code === undefined || error.message.startsWith(code) ? error.message : `${code}: ${error.message}`;
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a directory';
  return 'not a regular file';
}

type FileRead = { ok: true; bytes: Buffer } | { ok: false; message: string };

/**
 * Reads one file if it is a regular file of at most `maxBytes`. The type is checked before opening
 * (opening some devices has effects) and again on the open descriptor, so a file swapped for a FIFO
 * in between cannot block: the open is non-blocking, and a FIFO is never read.
 */
function readRegularFile(file: string, maxBytes: number): FileRead {
  const notRegular = (info: Stats, via: string): FileRead => ({
    ok: false,
    message: `is ${kindOf(info)}${via}, not a regular file; only regular files (or symlinks to them) are loaded`,
  });
  let via = '';
  let info: Stats;
  try {
    if (lstatSync(file).isSymbolicLink()) {
      const target = readlinkSync(file);
      via = ` (via a symlink to ${target})`;
      try {
        info = statSync(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return { ok: false, message: `is a symlink to ${target}, which does not exist` };
        throw error;
      }
    } else {
      info = statSync(file);
    }
  } catch (error) {
    return { ok: false, message: `cannot read the file (${errorText(error)})` };
  }
  if (!info.isFile()) return notRegular(info, via);
  if (info.size > maxBytes) return { ok: false, message: `file is ${info.size} bytes; at most ${maxBytes} are accepted (loader option maxFileBytes)` };

  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, message: `cannot read the file (${errorText(error)})` };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return notRegular(opened, via);
    // One byte past the size (at most past the cap): a file that grew since the stat is still caught.
    const buffer = Buffer.alloc(Math.min(opened.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) return { ok: false, message: `file is more than ${maxBytes} bytes; at most ${maxBytes} are accepted (loader option maxFileBytes)` };
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { ok: false, message: `cannot read the file (${errorText(error)})` };
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses the `*.json` files of `dir`, sorted by name so loading is deterministic. */
export function readJsonDirectory(dir: string, options: JsonDirectoryOptions = {}): { files: JsonFile[]; problems: LoadProblem[] } {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_JSON_FILE_BYTES;
  const files: JsonFile[] = [];
  const problems: LoadProblem[] = [];
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.name.endsWith('.json') && !entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    problems.push({ file: dir, path: '$', message: `cannot read the directory (${errorText(error)}); check the path` });
    return { files, problems };
  }

  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const name of names) {
    const file = join(dir, name);
    const read = readRegularFile(file, maxBytes);
    if (!read.ok) {
      problems.push({ file, path: '$', message: read.message });
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(read.bytes);
    } catch {
      problems.push({ file, path: '$', message: 'file is not UTF-8 text; save it as UTF-8' });
      continue;
    }
    const parsed = parseJsonLocated(text);
    if (!parsed.ok) {
      const { line, column, reason } = parsed.error;
      problems.push({ file, path: '$', message: `invalid JSON at line ${line}, column ${column}: ${reason}` });
      continue;
    }
    files.push({ file, value: parsed.value });
  }
  return { files, problems };
}

/**
 * Loads one checked item per `*.json` file of `dir`, keyed by an id: a file with any problem is left
 * out and reported, the others load, and a repeated id keeps the first file and reports the second,
 * naming both. Shared by the definition and catalog loaders.
 */
export function loadKeyedJsonDirectory<T>(
  dir: string,
  check: (value: unknown, file: string) => { item: T | undefined; problems: LoadProblem[] },
  key: { of: (item: T) => string; path: string; name: string },
  options: JsonDirectoryOptions = {},
): { byId: Map<string, T>; problems: LoadProblem[] } {
  const { files, problems } = readJsonDirectory(dir, options);
  const byId = new Map<string, T>();
  const fileOf = new Map<string, string>();
  for (const { file, value } of files) {
    const { item, problems: found } = check(value, file);
    problems.push(...found);
    if (item === undefined) continue;
    const id = key.of(item);
    const earlier = fileOf.get(id);
    if (earlier !== undefined) {
      problems.push({ file, path: key.path, message: `duplicate ${key.name} "${id}": already defined in ${earlier}; this file is ignored` });
      continue;
    }
    byId.set(id, item);
    fileOf.set(id, file);
  }
  return { byId, problems: byFile(problems) };
}
