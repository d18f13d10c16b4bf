/**
 * Ids, names and input values must be well-formed Unicode. JSON can carry a lone surrogate
 * (`"\ud800"`), but it is not text: SQLite and the file system store it as U+FFFD, so a key written
 * with one is read back as another key (the row is then never found again, and `resume` skips it),
 * and `encodeURIComponent` throws on it. Such a request is bad input, refused before anything is
 * journaled. Credential values and previous results' JSON text are not checked: they are never keys,
 * and JSON text escapes its characters.
 */
import { actionError } from '../failure/errors.ts';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import { jsonPathOf } from '../definitions/load-problem.ts';

/** A string that is not well-formed, and where. */
interface Malformed {
  path: string;
  /** UTF-16 index of the first lone surrogate. */
  index: number;
  unit: number;
}

/**
 * A lone surrogate: in a `u` regex a proper pair is one code point (not in Cs), so only the halves
 * without their other half match. (`String.prototype.isWellFormed` is Node 20, but not in ES2023's lib.)
 */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

const escapeUnit = (unit: string): string => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Walks keys and string values below `value`, collecting the malformed ones. */
function walk(value: unknown, segments: PropertyKey[], out: Malformed[], keysOnly = false): void {
  const check = (text: string, at: PropertyKey[]): void => {
    const match = LONE_SURROGATE.exec(text);
    if (match === null) return;
    out.push({ path: escapedPath(at), index: match.index, unit: text.charCodeAt(match.index) });
  };
  if (typeof value === 'string') {
    if (!keysOnly) check(value, segments);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, [...segments, i], out, keysOnly));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    check(key, [...segments, key]);
    if (!keysOnly) walk(item, [...segments, key], out);
  }
}

/** `$.action.inputs["user\ud800Id"]`: the lone surrogates written as escapes, so the path stays text. */
function escapedPath(segments: readonly PropertyKey[]): string {
  const path = jsonPathOf(segments.map((s) => (typeof s === 'string' ? s.replace(LONE_SURROGATES, escapeUnit) : s)));
  // jsonPathOf quotes odd keys with JSON.stringify, which doubles the backslash of the escape.
  return path.replace(/\\\\u(d[89a-f][0-9a-f]{2})/g, '\\u$1');
}

/**
 * Refuses a request whose ids, names or inputs are not well-formed Unicode: `executionId`,
 * everything in `action` (ids, dependencies, input names and values, …) and the names in
 * `context.credentials` and `context.previousResults`.
 *
 * @throws ActionError `validation_failed`, code `INVALID_REQUEST`, naming each JSON path.
 */
export function checkWellFormedIds(request: ActionExecuteRequest): void {
  const found: Malformed[] = [];
  walk(request.executionId, ['executionId'], found);
  walk(request.action, ['action'], found);
  walk(request.context.credentials, ['context', 'credentials'], found, true);
  walk(request.context.previousResults, ['context', 'previousResults'], found, true);
  if (found.length === 0) return;
  const describe = (m: Malformed): string =>
    `lone surrogate ${escapeUnit(String.fromCharCode(m.unit))} at character ${m.index} (one half of a UTF-16 pair without the other)`;
  const shown = found.slice(0, 10);
  throw actionError(
    'validation_failed',
    `The execution request is invalid:\n${shown.map((m) => `  ${m.path}: not well-formed Unicode: ${describe(m)}`).join('\n')}${found.length > shown.length ? `\n  … and ${found.length - shown.length} more` : ''}`,
    {
      code: 'INVALID_REQUEST',
      context: Object.fromEntries(shown.map((m) => [m.path, describe(m)])),
      suggestion: 'Ids, names and inputs must be well-formed Unicode text. The producer of this request cut a character in half (e.g. by slicing a string between the two halves of an emoji) or decoded bytes with the wrong encoding.',
    },
  );
}
