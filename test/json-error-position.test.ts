/**
 * locateJsonError: where a JSON text goes wrong (Node 20's JSON.parse often does not say).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { locateJsonError } from '../src/support/json-error-position.ts';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('locateJsonError', () => {
  it.each<[string, number, string, string]>([
    ['{"a":}', 5, 'a JSON value (object, array, string, number, true, false or null)', '"}"'],
    ['[1,]', 3, 'a JSON value (object, array, string, number, true, false or null)', '"]"'],
    ['[1,2', 4, "',' or ']'", 'end of text'],
    ['{x}', 1, "a property name in double quotes or '}'", '"x"'],
    ['{"a" 1}', 5, "':' after the property name", '"1"'],
    ['{"a":1} x', 8, 'end of text', '"x"'],
    ['["\\q"]', 3, 'a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', '"q"'],
    ['["\\u12G4"]', 4, 'four hex digits after \\u', '"1"'],
    ['{"a":tru}', 8, '"true"', '"}"'],
    ['["a\nb"]', 3, 'an escaped control character (e.g. \\n) inside the string', 'control character U+000A'],
    ['"open', 5, 'a closing \'"\'', 'end of text'],
    ['-x', 1, 'a digit', '"x"'],
    ['', 0, 'a JSON value (object, array, string, number, true, false or null)', 'end of text'],
    ['\uFEFF{}', 0, 'a JSON value (object, array, string, number, true, false or null)', '"\uFEFF"'],
  ])('%j fails at %i: expected %s, found %s', (text, position, expected, found) => {
    expect(locateJsonError(text)).toMatchObject({ position, expected, found });
  });

  it('counts lines and columns from 1', () => {
    expect(locateJsonError('{\n  "a": 1,\n  "b": ]\n}')).toMatchObject({ position: 19, line: 3, column: 8 });
  });

  it('handles nesting far deeper than the call stack allows', () => {
    expect(locateJsonError('['.repeat(100_000) + ']'.repeat(100_000))).toBeNull();
    expect(locateJsonError('['.repeat(100_000) + '}')).toMatchObject({ position: 100_000, expected: "a JSON value or ']'" });
  });

  it('returns null exactly when JSON.parse accepts the text', () => {
    const noisyJson = fc.json({ maxDepth: 3 }).chain((json) =>
      fc.tuple(fc.nat({ max: json.length }), fc.constantFrom('', ',', '}', ']', '"', ':', ' ', '\\', 'x', '0', '-', '.', 'e', '\n')).map(
        ([at, insert]) => json.slice(0, at) + insert + json.slice(at),
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.json(), noisyJson, fc.string({ maxLength: 12 })), (text) => {
        const location = locateJsonError(text);
        expect(location === null).toBe(parses(text));
        if (location !== null) expect(location.position).toBeLessThanOrEqual(text.length);
      }),
      { seed: 2024, numRuns: 1000 },
    );
  });
});
