/**
 * Comparing a replayed step with the recorded one. Payloads compare as canonical JSON (key order and
 * absent-vs-undefined do not matter); a difference is named by field, one level into objects
 * (`error.category`, `location.checksum`), so a person sees what changed without diffing JSON.
 */
import { canonicalJson } from '../execution/request-identity.ts';
import type { StepTransition } from './replay-report.ts';

/** `same`, the same event with other payload `fields`, or another event or state. */
export type StepComparison = { verdict: 'same' } | { verdict: 'changed'; fields: string[] } | { verdict: 'diverged' };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The dotted names of the fields in which two JSON values differ (one level into objects). */
export function differingFields(a: Record<string, unknown>, b: Record<string, unknown>, prefix = '', depth = 1): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.flatMap((name) => {
    const left = a[name];
    const right = b[name];
    if (canonicalJson(left) === canonicalJson(right)) return [];
    if (depth > 0 && isObject(left) && isObject(right)) return differingFields(left, right, `${prefix}${name}.`, depth - 1);
    return [`${prefix}${name}`];
  });
}

/** How a replayed step compares with the recorded one. */
export function compareSteps(replayed: StepTransition, recorded: StepTransition): StepComparison {
  if (replayed.event !== recorded.event || replayed.from !== recorded.from || replayed.to !== recorded.to) return { verdict: 'diverged' };
  const fields = differingFields(replayed.data, recorded.data);
  return fields.length === 0 ? { verdict: 'same' } : { verdict: 'changed', fields };
}
