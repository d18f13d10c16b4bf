/**
 * The output record of a body too large to keep whole in the journal (issue 13 item 7). A body that
 * streamed to storage is mapped to output fields as a small one is (response-output.ts), but the
 * record is journaled with every later transition, so it is held to the same budget as an inline body:
 * the fields of `outputSchema` first, then the others in the body's order, each kept while it fits.
 * The fields left out are named, and stay in the stored body at outputLocation.
 */
import { toOutputRecord } from './response-output.ts';

/** A record within its budget, and the fields that did not fit. */
export interface BoundedOutput {
  output: Record<string, string>;
  omitted: string[];
}

const sizeOf = (name: string, value: string): number => Buffer.byteLength(name) + Buffer.byteLength(value);

/**
 * Maps `body` with {@link toOutputRecord} and keeps the fields that fit in `maxBytes` (UTF-8 bytes of
 * names and values). `declared`: top-level field names the definition's outputSchema reads, kept first.
 */
export function boundedOutputRecord(body: unknown, declared: readonly string[], maxBytes: number): BoundedOutput {
  const entries = Object.entries(toOutputRecord(body));
  const sizes = new Map(entries.map(([name, value]) => [name, sizeOf(name, value)]));
  const first = declared.filter((name) => sizes.has(name));
  const kept = new Set<string>();
  const omitted: string[] = [];
  let used = 0;
  for (const name of new Set([...first, ...sizes.keys()])) {
    const size = sizes.get(name) ?? 0;
    if (used + size <= maxBytes) {
      kept.add(name);
      used += size;
    } else {
      omitted.push(name);
    }
  }
  // The body's field order, whatever order the budget was spent in; fromEntries keeps `__proto__` a field.
  const output = Object.fromEntries(entries.filter(([name]) => kept.has(name)));
  return { output, omitted };
}
