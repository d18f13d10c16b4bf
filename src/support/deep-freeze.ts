/**
 * Freezes a parsed JSON value all the way down. Loaded definitions and catalog entries are shared by
 * every execution; freezing turns an accidental mutation into a TypeError at the culprit instead of
 * a corrupted registry.
 */

/** Freezes `value` and everything reachable from it; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
