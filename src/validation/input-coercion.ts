/**
 * Reference values are strings (previous outputs are string records); a field declared `integer`
 * should still accept `"42"`. This is the one place that decides which strings convert.
 */
import type { CoercionTarget } from './schema-language.ts';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Converts a reference string to the number, integer or boolean a field asks for when the *whole*
 * string is one, as ajv's `coerceTypes` does for strings — but stricter about numbers: only JSON's
 * number grammar, so `" 42"`, `"0x1A"`, `"+5"` and `"1,000"` stay errors instead of becoming surprises.
 */
export function coerceString(text: string, target: CoercionTarget): { ok: true; value: number | boolean } | { ok: false } {
  if (target === 'boolean') {
    if (text === 'true') return { ok: true, value: true };
    if (text === 'false') return { ok: true, value: false };
    return { ok: false };
  }
  if (!JSON_NUMBER.test(text)) return { ok: false };
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false };
  if (target === 'integer' && !Number.isInteger(value)) return { ok: false };
  return { ok: true, value };
}
