/**
 * The attempt record for `httpTrace` (EXEC-013, EXEC-014): what was sent and what came back, with
 * redaction (DESIGN §5) applied to every part — URL, headers, bodies and error text — since this is
 * what gets journaled, stored and shown. Pure.
 */
import type { ReceivedBody } from './http-types.ts';
import { REDACTED, isSecretName, type Redactor } from '../redaction/redaction.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';

/** Bytes of a response body shown in its trace entry. */
export const DEFAULT_PREVIEW_BYTES = 4096;
/** Characters of a request body kept in its trace entry (bodies are built from inputs, but may be big). */
export const REQUEST_BODY_TRACE_LIMIT = 64 * 1024;
/**
 * Extra bytes read past the preview before redacting and cutting, so a secret that straddles the cut
 * is still recognised whole (secrets longer than this could leave a prefix behind).
 */
export const REDACTION_MARGIN = 1024;

/** Lower-cased header names with their values; repeated headers (Set-Cookie) joined by ", ". */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/**
 * A URL fit for records: the password of `user:pass@`, the values of secret-named query parameters
 * (`api_key`, `token`, …) and every known secret value become [REDACTED]. The result is still a URL.
 */
export function redactUrl(url: string, redactor: Redactor): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactor.text(url);
  }
  const query = parsed.search === ''
    ? ''
    : `?${parsed.search
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) return pair;
          let name = pair.slice(0, eq);
          try {
            name = decodeURIComponent(name.replace(/\+/g, ' '));
          } catch {
            // keep the raw name
          }
          return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
        })
        .join('&')}`;
  const auth = parsed.username === '' && parsed.password === '' ? '' : `${parsed.username}${parsed.password === '' ? '' : `:${REDACTED}`}@`;
  return redactor.text(`${parsed.protocol}//${auth}${parsed.host}${parsed.pathname}${query}${parsed.hash}`);
}

const JSON_SECRET_FIELD = /"((?:[^"\\]|\\.){1,128})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
const FORM_SECRET_FIELD = /(^|[&?;\s])([\w.[\]-]{1,128})=([^&\s;]*)/g;

/**
 * Redacts a body text that may not parse (cut previews, form-encoded or malformed bodies): JSON-looking
 * `"name": "value"` pairs and `name=value` pairs under secret names, then every known secret value.
 */
export function redactLooseText(text: string, redactor: Redactor): string {
  const fields = text
    .replace(JSON_SECRET_FIELD, (whole, name: string, colon: string) => (isSecretName(name) ? `"${name}"${colon}"${REDACTED}"` : whole))
    .replace(FORM_SECRET_FIELD, (whole, lead: string, name: string) => (isSecretName(name) ? `${lead}${name}=${REDACTED}` : whole));
  return redactor.text(fields);
}

/**
 * Teaches the redactor the values a request sends under secret names (secret-looking or
 * credential-carrying headers, query parameters and JSON fields), so a server that echoes one back
 * — in a body, an error page or a header — is redacted there too.
 */
export function learnRequestSecrets(
  request: { url: string; headers: Record<string, string>; body?: string | undefined },
  secretHeaderNames: ReadonlySet<string>,
  redactor: Redactor,
): void {
  const learn = (value: string): void => {
    redactor.addSecret(value);
    const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    if (credential !== undefined) redactor.addSecret(credential);
  };
  for (const [name, value] of Object.entries(request.headers)) {
    if (secretHeaderNames.has(name.toLowerCase()) || isSecretName(name)) learn(value);
  }
  try {
    for (const [name, value] of new URL(request.url).searchParams) if (isSecretName(name)) learn(value);
  } catch {
    // an unparsable URL has no parameters to learn
  }
  if (request.body === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    return;
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (isSecretName(key) && (typeof child === 'string' || typeof child === 'number')) learn(String(child));
        else walk(child);
      }
    }
  };
  walk(parsed);
}

/** Redacts a body text: parsed and field-redacted when it is JSON, loosely otherwise. */
export function redactBodyText(text: string, redactor: Redactor): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactor.json(JSON.parse(text) as unknown));
    } catch {
      // not JSON after all
    }
  }
  return redactLooseText(text, redactor);
}

function cut(text: string, limit: number, totalBytes: number, unit: string): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}…[truncated: ${limit} ${unit} shown of ${totalBytes} bytes]`;
}

/** Inputs of {@link bodyPreview}. */
export interface PreviewInput {
  /** The interpreted body, when the response was read to its end. */
  body?: ReceivedBody | undefined;
  /** The leading bytes of the body (at least `previewBytes + REDACTION_MARGIN` when available). */
  head: Uint8Array;
  /** Bytes received in total. */
  size: number;
  /** Whether the bytes are binary (shown base64). */
  binary: boolean;
  previewBytes?: number | undefined;
  redactor: Redactor;
}

/** A capped, redacted preview of a response body: text, or base64 for binary bodies. */
export function bodyPreview(input: PreviewInput): string {
  const limit = input.previewBytes ?? DEFAULT_PREVIEW_BYTES;
  const { body, redactor } = input;
  if (input.size === 0 || body?.kind === 'empty') return '';
  if (body?.kind === 'json' && body.json !== undefined && body.location === undefined) {
    return cut(JSON.stringify(redactor.json(body.json)), limit, input.size, 'characters');
  }
  if (input.binary || body?.kind === 'binary' || body?.problem?.code === 'INVALID_ENCODING') {
    // Redacted as bytes before encoding: base64 would hide an echoed credential from text redaction.
    const shown = redactor.bytes(input.head).subarray(0, limit);
    const base64 = shown.toString('base64');
    return shown.length < input.size ? `${base64}…[truncated: base64 of the first ${shown.length} of ${input.size} bytes]` : base64;
  }
  const text = body?.text !== undefined && body.location === undefined
    ? body.text.slice(0, limit + REDACTION_MARGIN)
    : new TextDecoder('utf-8').decode(input.head);
  const complete = body?.text !== undefined && body.text.length <= limit + REDACTION_MARGIN;
  const redacted = complete ? redactBodyText(text, redactor) : redactLooseText(text, redactor);
  return cut(redacted, limit, input.size, 'characters');
}

/** An ErrorDetail with every text (message, suggestion, context values) passed through the redactor. */
export function redactError(detail: ErrorDetail, redactor: Redactor): ErrorDetail {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(detail.context)) context[key] = isSecretName(key) ? REDACTED : redactor.text(value);
  const out: ErrorDetail = { ...detail, message: redactor.text(detail.message), context };
  if (detail.suggestion !== undefined) out.suggestion = redactor.text(detail.suggestion);
  return out;
}

/** Everything one trace entry records. */
export interface TraceInput {
  /** Epoch ms when the hop started. */
  startedAt: number;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string | undefined;
  /** Header names whose values are secret whatever they look like (auth-added, credential-templated). */
  secretHeaderNames: Iterable<string>;
  response?: { status: number; headers: Record<string, string>; durationMs: number; preview: string } | undefined;
  error?: ErrorDetail | undefined;
  redactor: Redactor;
}

/** Builds a redacted, schema-valid HttpTraceEntry. */
export function buildTraceEntry(input: TraceInput): HttpTraceEntry {
  const { redactor } = input;
  const entry: HttpTraceEntry = {
    timestamp: new Date(input.startedAt).toISOString(),
    request: {
      method: input.method,
      url: redactUrl(input.url, redactor),
      headers: redactor.headers(input.requestHeaders, input.secretHeaderNames),
    },
  };
  if (input.requestBody !== undefined) {
    entry.request.body = cut(redactBodyText(input.requestBody, redactor), REQUEST_BODY_TRACE_LIMIT, Buffer.byteLength(input.requestBody), 'characters');
  }
  if (input.response !== undefined) {
    entry.response = {
      status: input.response.status,
      headers: redactor.headers(input.response.headers),
      body: input.response.preview,
      duration: Math.max(0, Math.round(input.response.durationMs)),
    };
  }
  if (input.error !== undefined) entry.error = redactError(input.error, redactor);
  return entry;
}
