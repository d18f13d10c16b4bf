/**
 * Reads every `*.json` file of one directory (not its subdirectories), in name order, for the
 * definition and catalog loaders. Unreadable files, bytes that are not UTF-8 and invalid JSON become
 * LoadProblems with the line and column; the other files are still returned.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { byFile, type LoadProblem } from './load-problem.ts';
import { parseJsonLocated } from '../support/parse-json-located.ts';

/** One parsed file. */
export interface JsonFile {
  file: string;
  value: unknown;
}

/** Definition and catalog files are small; anything bigger is a mistake (a log or a dump). */
export const MAX_JSON_FILE_BYTES = 5 * 1024 * 1024;

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return code === undefined || error.message.startsWith(code) ? error.message : `${code}: ${error.message}`;
}

/** Reads and parses the `*.json` files of `dir`, sorted by name so loading is deterministic. */
export function readJsonDirectory(dir: string): { files: JsonFile[]; problems: LoadProblem[] } {
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
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      problems.push({ file, path: '$', message: `cannot read the file (${errorText(error)})` });
      continue;
    }
    if (bytes.length > MAX_JSON_FILE_BYTES) {
      problems.push({ file, path: '$', message: `file is ${bytes.length} bytes; at most ${MAX_JSON_FILE_BYTES} are accepted` });
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
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
): { byId: Map<string, T>; problems: LoadProblem[] } {
  const { files, problems } = readJsonDirectory(dir);
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
