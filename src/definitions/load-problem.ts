/**
 * Problems found while loading definition and catalog files, in one shape: which file, where in it
 * (a JSON path such as `$.retryPolicy.maxAttempts`) and what was expected. The CLI prints them one per
 * line; a file with any problem is not loaded, the others are.
 */
import type { z } from 'zod';
import { describeValue } from '../support/describe-value.ts';
import { findSimilarNames } from '../support/similar-names.ts';
import { compileSafePattern } from '../support/safe-pattern.ts';

/** One reason a file was not loaded. */
export interface LoadProblem {
  /** The file as found in the directory (directory joined with the file name). */
  file: string;
  /** JSON path inside the file, `$` for the whole file. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** One line: `file: $.path: message`. */
export function formatProblem(problem: LoadProblem): string {
  return `${problem.file}: ${problem.path}: ${problem.message}`;
}

/** Problems grouped by file in name order (stable: a file's problems keep their order). */
export function byFile(problems: readonly LoadProblem[]): LoadProblem[] {
  return [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** `["retryPolicy", "maxAttempts"]` → `$.retryPolicy.maxAttempts`; other keys as `["Idempotency-Key"]`. */
export function jsonPathOf(segments: readonly PropertyKey[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/**
 * One problem per zod issue, each naming the JSON path and, when something was there, what it was
 * (values under secret-looking names are never echoed).
 */
export function zodIssueProblems(file: string, issues: readonly z.core.$ZodIssue[], input: unknown): LoadProblem[] {
  return issues.map((issue) => {
    const received = valueAt(input, issue.path);
    const last = issue.path.at(-1);
    let message = issue.message;
    if (received === undefined && issue.code === 'invalid_type') {
      message = `required field is missing (expected ${String(issue.expected)})`;
    } else if (issue.code !== 'invalid_type' && issue.code !== 'unrecognized_keys' && received !== undefined) {
      message += `; received ${describeValue(received, { fieldName: typeof last === 'string' ? last : undefined })}`;
    }
    return { file, path: jsonPathOf(issue.path), message };
  });
}

/** Zod 4 internals this module reads to list the fields a schema allows at a path. */
interface SchemaDef {
  type: string;
  innerType?: unknown;
  shape?: Record<string, unknown>;
  options?: unknown[];
  element?: unknown;
  valueType?: unknown;
  in?: unknown;
}

function defOf(schema: unknown): SchemaDef | undefined {
  const def = (schema as { def?: unknown } | undefined)?.def;
  return typeof def === 'object' && def !== null && typeof (def as SchemaDef).type === 'string' ? (def as SchemaDef) : undefined;
}

/** The object schemas a value at `segments` may match (several for a union). */
function objectSchemasAt(schema: unknown, segments: readonly PropertyKey[]): SchemaDef[] {
  let current: unknown[] = [schema];
  const unwrap = (list: unknown[]): SchemaDef[] => {
    const out: SchemaDef[] = [];
    const visit = (node: unknown, depth: number): void => {
      const def = defOf(node);
      if (def === undefined || depth > 20) return;
      if (['optional', 'default', 'nullable', 'readonly', 'catch', 'prefault', 'nonoptional'].includes(def.type)) visit(def.innerType, depth + 1);
      else if (def.type === 'pipe') visit(def.in, depth + 1);
      else if (def.type === 'union') for (const option of def.options ?? []) visit(option, depth + 1);
      else out.push(def);
    };
    for (const node of list) visit(node, 0);
    return out;
  };
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const def of unwrap(current)) {
      if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment] !== undefined) next.push(def.shape[segment]);
      else if (def.type === 'array' && typeof segment === 'number') next.push(def.element);
      else if (def.type === 'record') next.push(def.valueType);
    }
    current = next;
  }
  return unwrap(current).filter((def) => def.type === 'object');
}

/** Keys every JSON file may carry for editors and humans; they are ignored, not reported. */
const ANNOTATION_KEYS = new Set(['$schema', '$comment']);

/** The fields the schema allows for an object at `path` (empty where the schema has no object). */
function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectSchemasAt(schema, path).flatMap((def) => Object.keys(def.shape ?? {})))];
}

function unknownKeyProblem(file: string, known: readonly string[], path: readonly PropertyKey[], key: string, what: string): LoadProblem {
  const similar = findSimilarNames(key, known);
  const hint = similar.length > 0 ? `; did you mean ${similar.map((s) => `"${s}"`).join(' or ')}?` : known.length > 0 ? ` (known fields here: ${known.join(', ')})` : '';
  return { file, path: jsonPathOf([...path, key]), message: `unknown field "${key}" is not part of ${what}${hint}` };
}

/**
 * Fields the schema does not know, found from the schema's shape alone, so they are reported even
 * when the input fails the schema elsewhere (then there is no parsed value to compare with).
 * Objects the schema describes as records (free-form keys) are not checked.
 */
export function unknownKeyProblemsBySchema(file: string, schema: unknown, input: unknown, what: string): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => walk(item, [...path, index]));
      return;
    }
    if (!isPlainObject(node)) return;
    const known = knownKeysAt(schema, path);
    if (known.length === 0) return;
    for (const key of Object.keys(node)) {
      if (known.includes(key)) walk(node[key], [...path, key]);
      else if (!ANNOTATION_KEYS.has(key)) problems.push(unknownKeyProblem(file, known, path, key, what));
    }
  };
  walk(input, []);
  return problems;
}

/**
 * Fields the schema does not know. zod objects drop unknown keys silently, so a typo such as
 * `authentcation` would load as "no authentication" and fail at 3 a.m. with a 401; comparing the
 * input with the parsed value finds every dropped key, and the schema's shape suggests the intended one.
 */
export function unknownKeyProblems(file: string, schema: unknown, input: unknown, parsed: unknown, what: string): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const walk = (inNode: unknown, outNode: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(inNode) && Array.isArray(outNode)) {
      inNode.forEach((item, index) => walk(item, outNode[index], [...path, index]));
      return;
    }
    if (!isPlainObject(inNode) || !isPlainObject(outNode)) return;
    for (const key of Object.keys(inNode)) {
      if (Object.hasOwn(outNode, key)) {
        walk(inNode[key], outNode[key], [...path, key]);
      } else if (!ANNOTATION_KEYS.has(key)) {
        problems.push(unknownKeyProblem(file, knownKeysAt(schema, path), path, key, what));
      }
    }
  };
  walk(input, parsed, []);
  return problems;
}

/**
 * A problem for each pattern (at the given paths of `value`) that the linear-time engine cannot
 * compile — compiled exactly as the classifier compiles them (RE2, case-insensitive), so a file that
 * loads never carries a pattern that fails or stalls at match time.
 */
export function regexProblems(file: string, value: unknown, paths: readonly (readonly PropertyKey[])[]): LoadProblem[] {
  const problems: LoadProblem[] = [];
  for (const path of paths) {
    const source = valueAt(value, path);
    if (typeof source !== 'string') continue;
    const compiled = compileSafePattern(source);
    if (typeof compiled === 'string') problems.push({ file, path: jsonPathOf(path), message: `is not a valid pattern: ${compiled}` });
  }
  return problems;
}
