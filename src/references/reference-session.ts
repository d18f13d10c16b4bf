/**
 * The state of one resolve call (see references.ts): the chain of references being resolved (for
 * cycle and depth checks), the memo of finished references with the height of their chains, the
 * cache of parsed JSON text per location, and a redactor built only when an error needs one.
 */
import { locateJsonError } from '../support/json-error-position.ts';
import { malformedJsonError, type ErrorScope } from './reference-errors.ts';
import type { ReferenceContext, ResolveOptions } from './reference-context.ts';
import { createRedactor, type Redactor } from '../redaction/redaction.ts';

/** Longest chain of references resolved before giving up (ResolveOptions.maxDepth). */
export const DEFAULT_MAX_DEPTH = 16;

/** The place being resolved, as errors name it: `Input "userId"` with `{ input: 'userId' }`. */
export interface Site {
  label: string;
  context: Record<string, string>;
}

/** One reference being resolved; the stack of frames is the chain printed for cycles. */
export interface Frame {
  key: string;
  /** Height of the tallest reference chain below this frame so far. */
  below: number;
}

/** A value reached by navigation, and whether it may still hold references. */
export interface Navigated {
  value: unknown;
  /** Whether the text this value was parsed from contains `${`, i.e. whether it must be walked. */
  dirty: boolean;
}

/** State shared by every value resolved in one call: memo, parse cache, the chain being resolved. */
export interface Session {
  ctx: ReferenceContext;
  allowCredentials: boolean;
  maxDepth: number;
  stack: Frame[];
  memo: Map<string, { value: unknown; height: number }>;
  parsed: Map<string, Navigated | null>;
  /** The reference as written in the template currently being resolved. */
  reference: string | undefined;
  redactor(): Redactor;
}

/** Starts the state of one resolve call. A bad maxDepth is a programming error (RangeError). */
export function createSession(ctx: ReferenceContext, opts: ResolveOptions = {}): Session {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`ResolveOptions.maxDepth must be a positive integer, got ${String(maxDepth)}`);
  }
  const safe: ReferenceContext = {
    previousResults: ctx.previousResults ?? {},
    credentials: ctx.credentials ?? {},
  };
  let redactor: Redactor | undefined;
  return {
    ctx: safe,
    allowCredentials: opts.allowCredentials ?? false,
    maxDepth,
    stack: [],
    memo: new Map(),
    parsed: new Map(),
    reference: undefined,
    // Built lazily: only a failure needs it, and most resolutions succeed.
    redactor: () => (redactor ??= createRedactor(Object.values(safe.credentials).filter((v) => typeof v === 'string'))),
  };
}

/** Quotes an input or field name for a label, redacting before cutting so no secret prefix survives. */
export function quoteName(name: string, session: Session): string {
  return JSON.stringify(name.length > 80 ? `${session.redactor().text(name).slice(0, 80)}…` : name);
}

/** What an error builder needs to know about where resolution failed. */
export function scopeOf(session: Session, site: Site): ErrorScope {
  return {
    label: site.label,
    context: site.context,
    reference: session.reference,
    chain: session.stack.map((frame) => frame.key),
    redactor: session.redactor(),
  };
}

/** Parses JSON text once per location per call; `null` when it is not valid JSON. */
export function parseCached(session: Session, location: string, text: string): Navigated | null {
  if (session.parsed.has(location)) return session.parsed.get(location) ?? null;
  let result: Navigated | null;
  try {
    result = { value: JSON.parse(text) as unknown, dirty: text.includes('${') };
  } catch {
    result = null;
  }
  session.parsed.set(location, result);
  return result;
}

/** Like parseCached, but invalid JSON is REFERENCE_MALFORMED_JSON with its position. */
export function parseOrFail(session: Session, site: Site, raw: string, location: string, where: string, text: string): Navigated {
  const parsed = parseCached(session, location, text);
  if (parsed === null) throw malformedJsonError(scopeOf(session, site), raw, where, text, locateJsonError(text));
  return parsed;
}

/** Records a finished child chain of `height` on the frame that asked for it. */
export function raiseParent(session: Session, height: number): void {
  const parent = session.stack[session.stack.length - 1];
  if (parent !== undefined && height > parent.below) parent.below = height;
}
