/**
 * Input references (DESIGN §4 "References"): `${actionId.output.path}` reads a previous action's
 * output, `${credentials.NAME}` a credential (only where allowed), `${env.X}` never.
 *
 * Semantics worth knowing before changing anything here:
 * - `previousResults[id]` is the JSON text of the action's output record. Navigation hops into any
 *   string that holds JSON object/array text, because the output record stores nested values as
 *   JSON text; a whole-string reference whose value is such text returns it parsed for the same
 *   reason (the API returned an array, not a string). `${a.output}` is the whole record.
 * - A whole-string reference keeps the value's type; an embedded one is interpolated as text.
 * - Values that are themselves templates are resolved in turn, with cycle detection (a stack of the
 *   references being resolved) and a depth limit. Results are memoised per call with the height of
 *   their chain, so fan-out cannot blow up and the depth limit still holds exactly.
 * - Text that came out of previous results is data: there, only well-formed action references are
 *   resolved; a malformed `${HOME}` or a `${credentials.X}` stays literal, so API data can never
 *   reach a credential and never breaks resolution by containing shell snippets.
 * - Inputs, previousResults and credentials are never mutated; results may share structure with
 *   each other within one call, so treat them as read-only.
 */
import {
  actionReferenceNotAllowedError,
  conditionNotBooleanError,
  credentialMissingError,
  credentialsNotAllowedError,
  cycleError,
  depthExceededError,
  envNotAllowedError,
  indexOutOfRangeError,
  pathNotFoundError,
  syntaxError,
  typeMismatchError,
  unknownActionError,
  valueTooDeepError,
} from './reference-errors.ts';
import { formatPath, parseTemplate, type Reference, type TemplatePart } from './reference-syntax.ts';
import {
  createSession,
  parseCached,
  parseOrFail,
  quoteName,
  raiseParent,
  scopeOf,
  type Frame,
  type Navigated,
  type Session,
  type Site,
} from './reference-session.ts';
import { isSecretName } from '../redaction/redaction.ts';

import type { ReferenceContext, ResolveOptions } from './reference-context.ts';
export type { ReferenceContext, ResolveOptions };

/** Resolved structures nested deeper than this are refused: walking them would risk the call stack. */
const MAX_VALUE_NESTING = 256;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeJsonContainer(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}


/** A string from previous results that is exactly one action reference, or null. */
function wholeDataReference(text: string): TemplatePart & { kind: 'ref' } | null {
  if (!text.includes('${')) return null;
  const parsed = parseTemplate(text, true);
  if (!parsed.ok || parsed.parts.length !== 1) return null;
  const [part] = parsed.parts;
  return part?.kind === 'ref' && part.ref.kind === 'action' ? part : null;
}

function navigate(session: Session, site: Site, ref: Reference & { kind: 'action' }, raw: string): Navigated & { where: string } {
  const { previousResults } = session.ctx;
  const stored = Object.hasOwn(previousResults, ref.actionId) ? previousResults[ref.actionId] : undefined;
  if (typeof stored !== 'string') {
    throw unknownActionError(scopeOf(session, site), raw, ref.actionId, Object.keys(previousResults));
  }
  let where = `${ref.actionId}.output`;
  let { value, dirty } = parseOrFail(session, site, raw, where, `previousResults[${JSON.stringify(ref.actionId)}]`, stored);
  let lastKey = '';

  for (const segment of ref.path) {
    if (typeof value === 'string') {
      const inner = wholeDataReference(value);
      if (inner !== null) {
        value = resolveActionReference(session, site, inner.ref as Reference & { kind: 'action' }, inner.raw);
        dirty = false;
      } else if (looksLikeJsonContainer(value)) {
        ({ value, dirty } = parseOrFail(session, site, raw, where, where, value));
      }
    }
    if (segment.kind === 'key') {
      if (!isRecord(value)) {
        throw typeMismatchError(scopeOf(session, site), raw, where, value, { key: segment.key }, isSecretName(lastKey));
      }
      if (!Object.hasOwn(value, segment.key)) {
        throw pathNotFoundError(scopeOf(session, site), raw, where, segment.key, Object.keys(value));
      }
      value = value[segment.key];
      lastKey = segment.key;
    } else {
      if (!Array.isArray(value)) {
        throw typeMismatchError(scopeOf(session, site), raw, where, value, { index: segment.index }, isSecretName(lastKey));
      }
      if (segment.index >= value.length) {
        throw indexOutOfRangeError(scopeOf(session, site), raw, where, segment.index, value.length);
      }
      value = value[segment.index] as unknown;
    }
    where = formatPath(where, [segment]);
  }

  // The record stores nested values as JSON text; hand back what the API actually returned.
  if (typeof value === 'string' && looksLikeJsonContainer(value)) {
    const parsed = parseCached(session, where, value);
    if (parsed !== null) ({ value, dirty } = parsed);
  }
  return { value, dirty, where };
}

/** Resolves every template inside a structure from previous results, copying only what changes. */
function resolveData(session: Session, site: Site, raw: string, where: string, value: unknown, nesting: number): unknown {
  if (typeof value === 'string') return value.includes('${') ? resolveTemplate(session, site, value, true) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (nesting > MAX_VALUE_NESTING) throw valueTooDeepError(scopeOf(session, site), raw, where, MAX_VALUE_NESTING);
  let changed = false;
  if (Array.isArray(value)) {
    const out = value.map((item: unknown) => {
      const resolved = resolveData(session, site, raw, where, item, nesting + 1);
      if (resolved !== item) changed = true;
      return resolved;
    });
    return changed ? out : value;
  }
  const entries = Object.entries(value).map(([key, item]: [string, unknown]) => {
    const resolved = resolveData(session, site, raw, where, item, nesting + 1);
    if (resolved !== item) changed = true;
    return [key, resolved] as const;
  });
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return changed ? Object.fromEntries(entries) : value;
}

function resolveActionReference(session: Session, site: Site, ref: Reference & { kind: 'action' }, raw: string): unknown {
  const chain = session.stack.map((frame) => frame.key);
  if (chain.includes(ref.text)) throw cycleError(scopeOf(session, site), raw, [...chain, ref.text]);

  const memo = session.memo.get(ref.text);
  if (memo !== undefined) {
    if (session.stack.length + memo.height > session.maxDepth) {
      throw depthExceededError(scopeOf(session, site), raw, [...chain, ref.text, '…'], session.maxDepth);
    }
    raiseParent(session, memo.height);
    return memo.value;
  }
  if (session.stack.length >= session.maxDepth) {
    throw depthExceededError(scopeOf(session, site), raw, [...chain, ref.text], session.maxDepth);
  }

  const frame: Frame = { key: ref.text, below: 0 };
  session.stack.push(frame);
  let value: unknown;
  try {
    const navigated = navigate(session, site, ref, raw);
    value = navigated.dirty || typeof navigated.value === 'string'
      ? resolveData(session, site, raw, navigated.where, navigated.value, 0)
      : navigated.value;
  } finally {
    session.stack.pop();
  }
  const height = frame.below + 1;
  raiseParent(session, height);
  session.memo.set(ref.text, { value, height });
  return value;
}

function resolveReference(session: Session, site: Site, ref: Reference, raw: string): unknown {
  switch (ref.kind) {
    case 'env':
      throw envNotAllowedError(scopeOf(session, site), raw, ref.name);
    case 'credential':
      if (!session.allowCredentials) throw credentialsNotAllowedError(scopeOf(session, site), raw, ref.name);
      return lookupCredential(session, site, ref.name, raw);
    case 'action':
      return resolveActionReference(session, site, ref, raw);
  }
}

function lookupCredential(session: Session, site: Site, name: string, raw: string): string {
  const { credentials } = session.ctx;
  const value = Object.hasOwn(credentials, name) ? credentials[name] : undefined;
  if (typeof value !== 'string') throw credentialMissingError(scopeOf(session, site), raw, name, Object.keys(credentials));
  return value;
}

/** Renders a resolved value into surrounding text: objects and arrays as JSON text. */
function interpolate(session: Session, site: Site, raw: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    throw valueTooDeepError(scopeOf(session, site), raw, raw.slice(2, -1), MAX_VALUE_NESTING);
  }
}

function resolveTemplate(session: Session, site: Site, template: string, fromData: boolean): unknown {
  const parsed = parseTemplate(template, fromData);
  if (!parsed.ok) throw syntaxError(scopeOf(session, site), parsed.error);
  // In data only action references are live; anything else is text the API happened to return.
  const parts: TemplatePart[] = fromData
    ? parsed.parts.map((part) => (part.kind === 'ref' && part.ref.kind !== 'action' ? { kind: 'text', text: part.raw } : part))
    : parsed.parts;

  const track = (raw: string): void => {
    if (!fromData) session.reference = raw;
  };
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'ref') {
    track(only.raw);
    return resolveReference(session, site, only.ref, only.raw);
  }
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    track(part.raw);
    out += interpolate(session, site, part.raw, resolveReference(session, site, part.ref, part.raw));
  }
  return out;
}

function resolveWith(session: Session, site: Site, value: unknown): unknown {
  if (typeof value !== 'string' || !value.includes('${')) return value;
  session.reference = undefined;
  return resolveTemplate(session, site, value, false);
}

/**
 * Resolves every input value of a PlannedAction, so the request is built from plain values.
 * Returns a new record; throws ActionError (validation_failed, or auth_invalid for a missing
 * credential) naming the input and the reference.
 */
export function resolveInputs(
  inputs: Readonly<Record<string, string | number | boolean>>,
  ctx: ReferenceContext,
  opts?: ResolveOptions,
): Record<string, unknown> {
  const session = createSession(ctx, opts);
  const entries = Object.entries(inputs).map(([name, value]) => {
    const site: Site = { label: `Input ${quoteName(name, session)}`, context: { input: name } };
    return [name, resolveWith(session, site, value)] as const;
  });
  return Object.fromEntries(entries);
}

/**
 * Resolves one template value: a whole-string reference keeps the resolved type, an embedded one is
 * interpolated as text, numbers and booleans pass through. `field` names the value in errors.
 */
export function resolveValue(
  value: string | number | boolean,
  ctx: ReferenceContext,
  opts: ResolveOptions & { field?: string } = {},
): unknown {
  const field = opts.field ?? 'value';
  const session = createSession(ctx, opts);
  return resolveWith(session, { label: `Field ${quoteName(field, session)}`, context: { field } }, value);
}

/**
 * Resolves a condition reference (`condition.if`) to a boolean. Accepts a boolean or the exact text
 * "true"/"false" (output records store booleans as text); anything else is validation_failed
 * naming the reference and what it resolved to.
 */
export function resolveCondition(ref: string, ctx: ReferenceContext): boolean {
  const session = createSession(ctx);
  const site: Site = { label: 'Condition', context: { field: 'condition.if' } };
  const value = resolveWith(session, site, ref);
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw conditionNotBooleanError(scopeOf(session, site), typeof ref === 'string' ? ref : String(ref), value);
}

/**
 * For authentication fields and headers: fills `${credentials.NAME}` (and nothing else) in a
 * string. Action and env references are errors here; a missing credential is auth_invalid naming
 * it. `field` names the place in errors, e.g. `headers.Authorization` or `authentication.token`.
 */
export function resolveCredentialTemplate(template: string, credentials: Record<string, string>, field: string): string {
  if (typeof template !== 'string' || !template.includes('${')) return template;
  const session = createSession({ previousResults: {}, credentials }, { allowCredentials: true });
  const site: Site = { label: `Field ${quoteName(field, session)}`, context: { field } };
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw syntaxError(scopeOf(session, site), parsed.error);
  let out = '';
  for (const part of parsed.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    session.reference = part.raw;
    if (part.ref.kind === 'action') throw actionReferenceNotAllowedError(scopeOf(session, site), part.raw);
    if (part.ref.kind === 'env') throw envNotAllowedError(scopeOf(session, site), part.raw, part.ref.name);
    out += lookupCredential(session, site, part.ref.name, part.raw);
  }
  return out;
}

/**
 * Every credential NAME a template refers to, in order of first use, without duplicates. Never
 * throws: it serves redaction and up-front validation, which must work on malformed templates too.
 */
export function credentialNamesIn(template: string): string[] {
  if (typeof template !== 'string' || !template.includes('${')) return [];
  const parsed = parseTemplate(template, true);
  if (!parsed.ok) return [];
  const names = new Set<string>();
  for (const part of parsed.parts) {
    if (part.kind === 'ref' && part.ref.kind === 'credential') names.add(part.ref.name);
  }
  return [...names];
}
