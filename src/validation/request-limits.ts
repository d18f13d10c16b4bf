/**
 * Size limits on what a caller submits (docs/limits.md). Without them one 10 MB input grew the process
 * to 408 MB and the journal by 31 MB: the request is journaled, hashed, resolved, validated, traced
 * and redacted, each in its own copy. Both limits are checked before anything is journaled; the input
 * limit applies to each value *after* its references are resolved, because `${a.output.x}` repeated in
 * one input multiplies the size of a previous result that the request limit already allowed.
 */
import { actionError } from '../failure/errors.ts';
import type { ActionExecuteRequest } from '../schemas/job.ts';
import { jsonPathOf } from '../definitions/load-problem.ts';
import { resolveValue } from '../references/references.ts';

/** The limits, in bytes of UTF-8. */
export interface RequestLimits {
  /** The whole request as JSON. */
  maxRequestBytes: number;
  /** One input value after reference resolution (strings as their text, other values as JSON). */
  maxInputBytes: number;
}

/** 1 MiB per request, 256 KiB per input value: well above any API call's parameters, far below trouble. */
export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({ maxRequestBytes: 1024 * 1024, maxInputBytes: 256 * 1024 });

/**
 * The limits with defaults filled in.
 *
 * @throws RangeError naming the option when a limit is not a positive integer (a configuration error).
 */
export function resolveRequestLimits(given: Partial<RequestLimits> = {}): RequestLimits {
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  for (const name of ['maxRequestBytes', 'maxInputBytes'] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`limits.${name} must be a positive integer number of bytes, got ${String(value)} (default ${DEFAULT_REQUEST_LIMITS[name]})`);
    }
  }
  return limits;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function tooLarge(code: 'REQUEST_TOO_LARGE' | 'INPUT_TOO_LARGE', message: string, context: Record<string, string>, suggestion: string): Error {
  return actionError('validation_failed', message, { code, context, suggestion });
}

/** Size of a resolved input value, or why it could not be measured (it outgrew a JS string). */
function resolvedSize(value: string | number | boolean, request: ActionExecuteRequest, field: string): number | 'unbounded' | undefined {
  let resolved: unknown;
  try {
    resolved = resolveValue(value, { previousResults: request.context.previousResults, credentials: request.context.credentials }, { field });
  } catch (error) {
    // A reference that does not resolve is the action's failure, recorded by the resolving step.
    // Only a value too big to be a string at all (V8's "Invalid string length") is a size problem.
    return error instanceof RangeError ? 'unbounded' : undefined;
  }
  if (typeof resolved === 'string') return utf8Bytes(resolved);
  return utf8Bytes(JSON.stringify(resolved) ?? '');
}

/**
 * Refuses a request over the limits: first the whole request, then each input value after
 * resolution (a literal value is its own resolution).
 *
 * @throws ActionError `validation_failed`, code `REQUEST_TOO_LARGE` or `INPUT_TOO_LARGE`, naming the
 *   limit, the field and its size.
 */
export function checkRequestLimits(request: ActionExecuteRequest, limits: RequestLimits): void {
  const requestBytes = utf8Bytes(JSON.stringify(request));
  if (requestBytes > limits.maxRequestBytes) {
    throw tooLarge(
      'REQUEST_TOO_LARGE',
      `The execution request is ${requestBytes} bytes of JSON; at most ${limits.maxRequestBytes} bytes (limits.maxRequestBytes) are accepted. Nothing was recorded.`,
      { limit: 'limits.maxRequestBytes', maxBytes: String(limits.maxRequestBytes), size: String(requestBytes) },
      'Pass large data by reference (store it, and give the action its id or URL), or raise limits.maxRequestBytes.',
    );
  }
  for (const [name, value] of Object.entries(request.action.inputs)) {
    const field = jsonPathOf(['action', 'inputs', name]);
    const size = typeof value === 'string' && !value.includes('${') ? utf8Bytes(value) : resolvedSize(value, request, name);
    if (size === undefined || (size !== 'unbounded' && size <= limits.maxInputBytes)) continue;
    const resolvedNote = typeof value === 'string' && value.includes('${') ? ' after its references are resolved' : '';
    const shown = size === 'unbounded' ? 'larger than a string can hold' : `${size} bytes`;
    throw tooLarge(
      'INPUT_TOO_LARGE',
      `Input ${field} is ${shown}${resolvedNote}; at most ${limits.maxInputBytes} bytes (limits.maxInputBytes) are accepted per input value. Nothing was recorded.`,
      { field, limit: 'limits.maxInputBytes', maxBytes: String(limits.maxInputBytes), size: size === 'unbounded' ? 'unbounded' : String(size) },
      'Pass large data by reference (store it, and give the action its id or URL), or raise limits.maxInputBytes.',
    );
  }
}
