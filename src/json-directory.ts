/**
 * Reads every `*.json` file of one directory (not its subdirectories), in name order, for the
 * definition and catalog loaders. Unreadable files, bytes that are not UTF-8 and invalid JSON become
 * LoadProblems with the line and column; the other files are still returned.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadProblem } from './load-problem.ts';
import { parseJsonLocated } from './parse-json-located.ts';

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
