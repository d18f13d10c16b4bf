/**
 * Finds where a JSON text goes wrong. Node 20's `JSON.parse` often reports no position
 * (`Unexpected token '}', "{"a":}" is not valid JSON`) and echoes the whole text, which may be huge
 * or hold a secret; error messages need the offset and what was expected there instead.
 *
 * The scanner is iterative (an explicit container stack), so a deeply nested text cannot overflow the
 * call stack. It only reports the first problem; call it after `JSON.parse` has already failed.
 */

/** Where and why a JSON text is invalid. */
export interface JsonErrorLocation {
  /** 0-based offset of the first offending character (the text length when it ended too early). */
  position: number;
  /** 1-based line of `position`. */
  line: number;
  /** 1-based column of `position`. */
  column: number;
  /** What the grammar allowed at that point, e.g. `',' or '}'`. */
  expected: string;
  /** What was there instead: a quoted character, or `end of text`. */
  found: string;
}

type Container = '[' | '{';
type State = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'afterValue';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function describeChar(char: string | undefined): string {
  if (char === undefined) return 'end of text';
  const code = char.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(char);
}

/**
 * Locates the first syntax error of `text`, or returns `null` when the text is valid JSON.
 * Positions count UTF-16 code units, as JavaScript string offsets do.
 */
export function locateJsonError(text: string): JsonErrorLocation | null {
  const stack: Container[] = [];
  let state: State = 'value';
  let i = 0;

  const fail = (expected: string, at: number = i): JsonErrorLocation => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
    return { position: at, line, column: at - lineStart + 1, expected, found: describeChar(text[at]) };
  };

  /** Scans a string starting at the opening quote; returns the offset after the closing quote or an error. */
  const scanString = (): number | JsonErrorLocation => {
    let k = i + 1;
    for (;;) {
      const char = text[k];
      if (char === undefined) return fail('a closing \'"\'', k);
      if (char === '"') return k + 1;
      if (char.charCodeAt(0) < 0x20) return fail('an escaped control character (e.g. \\n) inside the string', k);
      if (char === '\\') {
        const escape = text[k + 1];
        if (escape === 'u') {
          if (!HEX.test(text.slice(k + 2, k + 6))) return fail('four hex digits after \\u', k + 2);
          k += 6;
          continue;
        }
        if (escape === undefined || !ESCAPES.has(escape)) return fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', k + 1);
        k += 2;
        continue;
      }
      k++;
    }
  };

  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
    const char = text[i];

    if (state === 'afterValue') {
      const top = stack[stack.length - 1];
      if (top === undefined) return char === undefined ? null : fail('end of text');
      if (char === ',') {
        i++;
        state = top === '[' ? 'value' : 'key';
      } else if ((top === '[' && char === ']') || (top === '{' && char === '}')) {
        i++;
        stack.pop();
      } else {
        return fail(top === '[' ? "',' or ']'" : "',' or '}'");
      }
      continue;
    }

    if (state === 'keyOrEnd' || state === 'key') {
      if (state === 'keyOrEnd' && char === '}') {
        i++;
        stack.pop();
        state = 'afterValue';
        continue;
      }
      if (char !== '"') return fail(state === 'keyOrEnd' ? "a property name in double quotes or '}'" : 'a property name in double quotes');
      const end = scanString();
      if (typeof end !== 'number') return end;
      i = end;
      while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
      if (text[i] !== ':') return fail("':' after the property name");
      i++;
      state = 'value';
      continue;
    }

    // state is 'value' or 'valueOrEnd'
    if (state === 'valueOrEnd' && char === ']') {
      i++;
      stack.pop();
      state = 'afterValue';
      continue;
    }
    if (char === '{' || char === '[') {
      stack.push(char);
      i++;
      state = char === '{' ? 'keyOrEnd' : 'valueOrEnd';
      continue;
    }
    if (char === '"') {
      const end = scanString();
      if (typeof end !== 'number') return end;
      i = end;
      state = 'afterValue';
      continue;
    }
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (match === null) return fail('a digit', i + 1);
      i += match[0].length;
      state = 'afterValue';
      continue;
    }
    const literal = ['true', 'false', 'null'].find((word) => word[0] === char);
    if (literal !== undefined) {
      for (let k = 0; k < literal.length; k++) {
        if (text[i + k] !== literal[k]) return fail(`"${literal}"`, i + k);
      }
      i += literal.length;
      state = 'afterValue';
      continue;
    }
    return fail(state === 'valueOrEnd' ? "a JSON value or ']'" : 'a JSON value (object, array, string, number, true, false or null)');
  }
}
