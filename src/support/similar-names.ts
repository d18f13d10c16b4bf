/**
 * "Did you mean …?" matching for field names and keywords. Used for the rename hint of output
 * validation (spec edge case 5: an API renames `user_name` to `userName` without notice), for typos in
 * schema strings (`strng`) and for unknown keys in definition and catalog files.
 */

/** Lower-cased with `_`, `-` and spaces removed, so `user_name`, `userName` and `User-Name` compare equal. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), so `emial` is one
 * edit from `email` rather than two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (previous2[j - 2] ?? 0) + 1);
      }
      current.push(best);
    }
    previous2 = previous;
    previous = current;
  }
  return previous[b.length] ?? Math.max(a.length, b.length);
}

/**
 * How many edits still count as "similar": none for names of up to 3 characters (`id` vs `ip` is a
 * different field, not a typo), one up to 6, two beyond.
 */
function allowedEdits(length: number): number {
  if (length <= 3) return 0;
  if (length <= 6) return 1;
  return 2;
}

/**
 * The candidates that look like `target`: first those equal after normalisation (case, `_`, `-`),
 * otherwise those within a small edit distance of it. Returns the best matches only (several when
 * tied), at most `limit`, in the order the candidates were given; `target` itself is never returned.
 */
export function findSimilarNames(target: string, candidates: Iterable<string>, limit = 3): string[] {
  const normalizedTarget = normalizeName(target);
  const budget = allowedEdits(normalizedTarget.length);
  let bestScore = Number.POSITIVE_INFINITY;
  let best: string[] = [];
  for (const candidate of candidates) {
    if (candidate === target) continue;
    const normalized = normalizeName(candidate);
    const score = normalized === normalizedTarget ? 0 : 1 + editDistance(normalized, normalizedTarget);
    if (score > budget + 1) continue;
    if (score < bestScore) {
      bestScore = score;
      best = [candidate];
    } else if (score === bestScore && !best.includes(candidate)) {
      best.push(candidate);
    }
  }
  return best.slice(0, limit);
}

/** `; did you mean "a" or "b"?` when candidates look like `target` (see {@link findSimilarNames}), else `''`. */
export function didYouMean(target: string, candidates: Iterable<string>): string {
  const similar = findSimilarNames(target, candidates);
  return similar.length === 0 ? '' : `; did you mean ${similar.map((name) => JSON.stringify(name)).join(' or ')}?`;
}
