/**
 * Short, safe descriptions of values received from a payload or an API, for error messages: long
 * strings are cut, objects are summarised by their keys, and anything under a secret-looking name or
 * equal to a known secret is never echoed.
 */
import { REDACTED, isSecretName } from '../redaction/redaction.ts';

/** How many characters of a received string an error message may quote. */
export const MAX_QUOTED_CHARS = 60;

/** Options for {@link describeValue}. */
export interface DescribeOptions {
  /** The field the value came from; a secret-looking name (token, password, …) hides the value. */
  fieldName?: string | undefined;
  /** Scrubs known secret values (a Redactor's `text`). */
  redact?: ((text: string) => string) | undefined;
}

/** Quotes a string as JSON, cut to {@link MAX_QUOTED_CHARS} characters with the full length noted. */
export function quoteTruncated(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`;
}

/** The JSON type name of a value as a person reads it: `array`, `null`, `integer` is still `number`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Describes a value as `string "abc"`, `number 42`, `null`, `array of 3 items`,
 * `object with keys a, b, c`. Never throws, whatever the value.
 */
export function describeValue(value: unknown, options: DescribeOptions = {}): string {
  const redact = options.redact ?? ((text: string) => text);
  const hidden = options.fieldName !== undefined && isSecretName(options.fieldName);
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'string':
      return hidden ? `string ${REDACTED}` : `string ${quoteTruncated(redact(value))}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return hidden ? `${typeof value} ${REDACTED}` : `${typeof value} ${redact(String(value))}`;
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `array of ${value.length} item${value.length === 1 ? '' : 's'}`;
      const keys = Object.keys(value);
      if (keys.length === 0) return 'empty object';
      const shown = keys.slice(0, 5).map((key) => redact(key)).join(', ');
      return `object with keys ${shown}${keys.length > 5 ? `, … (${keys.length} keys)` : ''}`;
    }
    default:
      return typeof value;
  }
}
