/** Navigation of dotted output-schema paths through a parsed JSON response body. */

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a dotted path led: to a value, to a missing key at `depth`, or to a non-object at `depth`. */
export type Navigation =
  | { kind: 'found'; value: unknown }
  | { kind: 'missing'; depth: number; parent: Record<string, unknown> }
  | { kind: 'blocked'; depth: number; value: unknown };

/**
 * Follows a dotted output path (`data.user.id`, already split) through nested objects. Arrays are not
 * indexed: a dotted path stops at them. Only own keys count, so `constructor` or `__proto__` in a
 * schema never resolve to Object.prototype.
 */
export function navigateDottedPath(root: Record<string, unknown>, path: readonly string[]): Navigation {
  let node: Record<string, unknown> = root;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth] ?? '';
    if (!Object.hasOwn(node, segment)) return { kind: 'missing', depth, parent: node };
    const value = node[segment];
    if (depth === path.length - 1) return { kind: 'found', value };
    if (!isPlainObject(value)) return { kind: 'blocked', depth, value };
    node = value;
  }
  return { kind: 'found', value: node };
}
