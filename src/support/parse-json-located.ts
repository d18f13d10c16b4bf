/**
 * JSON parsing for files and schema strings written by people: on failure it says the line and
 * column and what was expected there, instead of Node 20's position-less
 * `Unexpected token 'x', "…" is not valid JSON` (which also echoes the whole text).
 */
import { locateJsonError } from './json-error-position.ts';

/** Why a JSON text was refused. Line and column are 1-based; offset is 0-based. */
export interface JsonParseFailure {
  offset: number;
  line: number;
  column: number;
  /** e.g. `expected ',' or '}', found "]"`. */
  reason: string;
}

/** The result of {@link parseJsonLocated}. */
export type LocatedJsonResult = { ok: true; value: unknown } | { ok: false; error: JsonParseFailure };

/**
 * Parses JSON text, tolerating a leading UTF-8 byte-order mark (some Windows editors add one), and
 * never throws: a failure comes back with where and why.
 */
export function parseJsonLocated(text: string): LocatedJsonResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    const located = locateJsonError(body);
    if (located !== null) {
      return {
        ok: false,
        error: { offset: located.position, line: located.line, column: located.column, reason: `expected ${located.expected}, found ${located.found}` },
      };
    }
    // The scanner accepted what JSON.parse refused (should not happen): keep the engine's words.
    const message = error instanceof Error ? error.message.slice(0, 200) : String(error);
    return { ok: false, error: { offset: 0, line: 1, column: 1, reason: message } };
  }
}
