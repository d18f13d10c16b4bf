/**
 * User-supplied regular expressions (catalog `pattern`s, header patterns, `bodyPatterns`,
 * `knownErrors[].pattern`, plan `matches` checks) run on RE2JS, a linear-time engine: a pattern such
 * as `(a+)+$` cannot freeze the process the way a backtracking `RegExp` does (DESIGN §1, promise 3).
 * RE2 syntax is a subset of JavaScript's: no backreferences and no lookaround. A pattern it cannot
 * compile is reported when the file that holds it loads, never at match time.
 */
import { RE2JS } from 're2js';

/** A compiled user pattern: `test` finds a match anywhere in the text, in time linear in its length. */
export interface SafePattern {
  readonly source: string;
  test(text: string): boolean;
}

const cache = new Map<string, SafePattern | string>();

/**
 * Compiles a pattern for linear-time matching (case-insensitive unless told otherwise, as the
 * classifier matches API messages and header values). Returns the reason as a string instead of
 * throwing when RE2 cannot compile it; results are cached per source and flags.
 */
export function compileSafePattern(source: string, options: { caseInsensitive?: boolean } = {}): SafePattern | string {
  const caseInsensitive = options.caseInsensitive ?? true;
  const cacheKey = `${caseInsensitive ? 'i' : '-'}${source}`;
  let found = cache.get(cacheKey);
  if (found === undefined) {
    try {
      const compiled = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
      found = { source, test: (text: string) => compiled.test(text) };
    } catch (error) {
      // RE2JS quotes the pattern with the `(?i)` it added for the flag; show what the user wrote.
      const reason = (error instanceof Error ? error.message : String(error)).replace(`\`(?i)${source}`, `\`${source}`);
      found = `${reason} (patterns use RE2 syntax, which has no backreferences or lookaround, so matching always takes linear time; see https://github.com/google/re2/wiki/Syntax)`;
    }
    cache.set(cacheKey, found);
  }
  return found;
}
