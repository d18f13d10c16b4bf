/**
 * Request building (DESIGN §4, EXEC-005): a definition plus validated inputs become a PreparedRequest.
 * `{param}` placeholders in the URL are filled URL-encoded (an input that would make a path segment
 * `.` or `..` is refused: it would change the path); header values may use `{param}`, the
 * reserved `{idempotencyKey}` and `${credentials.NAME}`; the inputs no placeholder used go to the
 * query string (GET/DELETE) or a JSON body (POST/PUT/PATCH). Authentication headers are not added
 * here: the auth hook adds them per hop, so a redirect can drop them. Pure.
 */
import { createHash } from 'node:crypto';
import { actionError } from '../failure/errors.ts';
import type { HttpMethod, PreparedRequest } from './http-types.ts';
import { credentialNamesIn, resolveCredentialTemplate } from '../references/references.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';

/** The reserved header placeholder filled with {@link idempotencyKeyFor}. */
export const IDEMPOTENCY_PLACEHOLDER = 'idempotencyKey';

/** Options of {@link buildRequest}. */
export interface BuildRequestOptions {
  executionId: string;
  actionId: string;
  /** Credential name → value, for `${credentials.NAME}` in header values. */
  credentials: Record<string, string>;
  /**
   * The catalog's `quirks.requiresUserAgent`. A User-Agent the definition sets itself wins: it was
   * written for this one action.
   */
  userAgent?: string | undefined;
}

const BODY_METHODS: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH']);
/** `${...}` (a reference, handed to the credential resolver) or `{name}` (a placeholder). */
const TOKEN = /\$\{[^}]*\}|\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The idempotency key of an action execution: derived from `(executionId, actionId)` with SHA-256,
 * so every attempt, and every attempt after a crash and resume, sends the same key — which is what
 * lets the server recognise a repeat. Shaped as a UUID (version 8, RFC 9562) because some APIs
 * insist on that format.
 */
export function idempotencyKeyFor(executionId: string, actionId: string): string {
  const digest = createHash('sha256').update(`action-executor/idempotency-key/v1\0${executionId}\0${actionId}`).digest();
  const bytes = Uint8Array.from(digest.subarray(0, 16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function describeDefinition(def: ActionDefinition): string {
  return `Definition "${def.id}"@${def.version}`;
}

function inputNames(inputs: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(inputs);
  return names.length === 0 ? 'none' : names.join(', ');
}

/** A path or header placeholder value as text; objects and arrays do not belong there. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

function missingPlaceholder(def: ActionDefinition, where: string, name: string, inputs: Readonly<Record<string, unknown>>): Error {
  const reserved = name === IDEMPOTENCY_PLACEHOLDER ? ` The reserved {${IDEMPOTENCY_PLACEHOLDER}} is filled in header values only.` : '';
  return actionError('validation_failed', `${describeDefinition(def)}: ${where} needs input "${name}" for its {${name}} placeholder, but the inputs have no value for it (inputs given: ${inputNames(inputs)}).${reserved}`, {
    code: 'MISSING_PLACEHOLDER_INPUT',
    context: { definition: def.id, field: where, placeholder: name },
    suggestion: `Add "${name}" to the planned action's inputs (and to the definition's inputSchema), or remove the placeholder.`,
  });
}

function nonScalarPlaceholder(def: ActionDefinition, where: string, name: string, value: unknown): Error {
  const type = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return actionError('validation_failed', `${describeDefinition(def)}: input "${name}" fills the {${name}} placeholder of ${where}, which needs a string, number or boolean, but the input is ${type}.`, {
    code: 'INVALID_PLACEHOLDER_INPUT',
    context: { definition: def.id, field: where, placeholder: name },
    suggestion: `Give "${name}" a scalar value, or move it out of ${where}.`,
  });
}

/** The query-string text of one input value: arrays repeat the key, objects become JSON text. */
function queryValues(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item) => (item === undefined || item === null ? [] : [scalarText(item) ?? JSON.stringify(item)]));
  return [scalarText(value) ?? JSON.stringify(value)];
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === lower);
}

/**
 * A whole path segment of `.` or `..` — also percent-encoded, since the WHATWG URL parser treats
 * `%2e%2e` as `..` too (so encoding the dots cannot keep the segment, and a server that decodes
 * before routing would climb anyway).
 */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

function dotSegmentInput(def: ActionDefinition, names: readonly string[], inputs: Readonly<Record<string, unknown>>): Error {
  const which = names.map((name) => `input "${name}" is ${JSON.stringify(scalarText(inputs[name]) ?? '')}`).join(' and ');
  return actionError('validation_failed', `${describeDefinition(def)}: ${which}, which would make a whole path segment of endpoint.url (${def.endpoint.url}) "." or "..": URL normalisation would then remove the segment (and ".." the one before it), sending the request to another path of the API. Refused before anything was sent.`, {
    code: 'DOT_SEGMENT_INPUT',
    context: { definition: def.id, field: 'endpoint.url', placeholder: names.join(', ') },
    suggestion: `A path segment cannot be "." or "..". Check where ${names.map((name) => `"${name}"`).join(' and ')} comes from: such a value usually means a missing id, or an attempt to reach another endpoint.`,
  });
}

/**
 * Fills the URL's placeholders. In the path (before `?` or `#`) each segment is filled on its own,
 * so a segment that the inputs turn into a dot segment is refused, naming the inputs.
 */
function fillUrl(def: ActionDefinition, inputs: Readonly<Record<string, unknown>>, fill: (whole: string, name: string) => string): string {
  const template = def.endpoint.url;
  const end = template.search(/[?#]/);
  const path = end === -1 ? template : template.slice(0, end);
  const rest = end === -1 ? '' : template.slice(end);
  const segments = path.split('/').map((segment) => {
    const names = [...segment.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
    const filled = segment.replace(PLACEHOLDER, fill);
    if (names.length > 0 && DOT_SEGMENT.test(filled)) throw dotSegmentInput(def, names, inputs);
    return filled;
  });
  return `${segments.join('/')}${rest.replace(PLACEHOLDER, fill)}`;
}

/** Builds the request for one action execution. Throws ActionError (validation_failed, auth_invalid). */
export function buildRequest(
  def: ActionDefinition,
  inputs: Readonly<Record<string, unknown>>,
  opts: BuildRequestOptions,
): PreparedRequest {
  const used = new Set<string>();
  const method = def.endpoint.method;

  // URL: placeholders only. References and credentials never go into a URL (it is logged and cached).
  if (def.endpoint.url.includes('${')) {
    throw actionError('validation_failed', `${describeDefinition(def)}: endpoint.url contains a \${...} reference; URLs take {param} placeholders filled from inputs, and credentials belong in authentication or header values.`, {
      code: 'REFERENCE_IN_URL',
      context: { definition: def.id, field: 'endpoint.url' },
      suggestion: 'Use a {param} placeholder and pass the value as an input; put secrets in the authentication block or a header.',
    });
  }
  const fillUrlPlaceholder = (_whole: string, name: string): string => {
    if (!Object.hasOwn(inputs, name) || inputs[name] === undefined || inputs[name] === null) throw missingPlaceholder(def, 'endpoint.url', name, inputs);
    const text = scalarText(inputs[name]);
    if (text === undefined) throw nonScalarPlaceholder(def, 'endpoint.url', name, inputs[name]);
    used.add(name);
    return encodeURIComponent(text);
  };
  const filledUrl = fillUrl(def, inputs, fillUrlPlaceholder);

  // Headers: static values, {param}, {idempotencyKey} and ${credentials.NAME}, in one pass so a value
  // filled in from an input is never itself read as a template.
  const headers: Record<string, string> = {};
  const credentialHeaders: string[] = [];
  let idempotencyKey: string | undefined;
  for (const [name, template] of Object.entries(def.endpoint.headers)) {
    const field = `endpoint.headers.${name}`;
    if (!HEADER_NAME.test(name)) {
      throw actionError('validation_failed', `${describeDefinition(def)}: header name ${JSON.stringify(name)} is not a valid HTTP header name.`, {
        code: 'INVALID_HEADER',
        context: { definition: def.id, field },
        suggestion: "Header names may contain letters, digits and !#$%&'*+.^_`|~- only.",
      });
    }
    if (credentialNamesIn(template).length > 0) credentialHeaders.push(name);
    const value = template.replace(TOKEN, (whole: string, placeholder: string | undefined) => {
      if (placeholder === undefined) return resolveCredentialTemplate(whole, opts.credentials, `headers.${name}`);
      if (placeholder === IDEMPOTENCY_PLACEHOLDER && !Object.hasOwn(inputs, placeholder)) {
        idempotencyKey ??= idempotencyKeyFor(opts.executionId, opts.actionId);
        return idempotencyKey;
      }
      if (!Object.hasOwn(inputs, placeholder) || inputs[placeholder] === undefined || inputs[placeholder] === null) throw missingPlaceholder(def, field, placeholder, inputs);
      const text = scalarText(inputs[placeholder]);
      if (text === undefined) throw nonScalarPlaceholder(def, field, placeholder, inputs[placeholder]);
      used.add(placeholder);
      return text;
    });
    if (/[\r\n\0]/.test(value) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
      // Never echo the value: it may hold a credential.
      throw actionError('validation_failed', `${describeDefinition(def)}: header ${name} would contain a line break, a control character or a character outside Latin-1 after its placeholders are filled, which cannot be sent (and could inject headers).`, {
        code: 'INVALID_HEADER',
        context: { definition: def.id, field },
        suggestion: `Check the inputs used in the ${name} header for line breaks or non-Latin-1 text.`,
      });
    }
    headers[name] = value;
  }
  if (opts.userAgent !== undefined && !hasHeader(headers, 'user-agent')) headers['User-Agent'] = opts.userAgent;
  if (!hasHeader(headers, 'accept')) headers.Accept = 'application/json, */*;q=0.5';

  // The inputs no placeholder used: the query string or the JSON body.
  const remaining: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) if (!used.has(name) && value !== undefined) remaining[name] = value;

  let url: URL;
  try {
    url = new URL(filledUrl);
  } catch {
    throw actionError('validation_failed', `${describeDefinition(def)}: endpoint.url is not a valid absolute URL after its placeholders are filled.`, {
      code: 'INVALID_URL',
      context: { definition: def.id, field: 'endpoint.url' },
      suggestion: 'endpoint.url must be an absolute http(s) URL; placeholders may only stand for parts of it.',
    });
  }
  const request: PreparedRequest = { method, url: url.href, headers };
  if (BODY_METHODS.has(method)) {
    request.body = JSON.stringify(remaining);
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  } else {
    for (const [name, value] of Object.entries(remaining)) for (const text of queryValues(value)) url.searchParams.append(name, text);
    request.url = url.href;
  }
  if (idempotencyKey !== undefined) request.idempotencyKey = idempotencyKey;
  if (credentialHeaders.length > 0) request.credentialHeaders = credentialHeaders;
  return request;
}
