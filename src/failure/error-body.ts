/**
 * Reads an error response body the way a person would: find the API's own message and error code in
 * the common shapes (Stripe/OpenAI `error.message`, GitHub `message`, Slack `error`, OAuth
 * `error_description`, GraphQL/Shopify `errors`, Salesforce `[{"errorCode"}]`, RFC 9457 problem
 * `detail`), or summarise text, HTML and binary bodies. Every string it returns is redacted.
 */
import type { ReceivedBody } from '../http/http-types.ts';
import type { Redactor } from '../redaction/redaction.ts';

/** Long enough for a real API message, short enough for a log line. */
const MAX_MESSAGE = 300;
const PREVIEW = 200;

/** What an error body says. */
export interface ErrorBodyInfo {
  /** The API's human message, when the body has one. */
  message?: string;
  /** The API's own error code (`card_declined`, `INVALID_SESSION_ID`, `channel_not_found`). */
  code?: string;
  /** Extra facts for the error context (`apiErrorType`, `documentationUrl`, `apiErrorParam`...). */
  details: Record<string, string>;
  /**
   * The raw body as text for catalog/knownErrors patterns (JSON re-serialised compactly). Not
   * redacted: it is matched against, never recorded.
   */
  matchText: string;
  /** One line describing the body when no message was found (`HTML page "502 Bad Gateway"`). */
  summary: string;
  looksLikeHtml: boolean;
}

export interface ReadErrorBodyOptions {
  redactor: Redactor;
  /** The catalog's `quirks.errorContentType`: bodies of this type are parsed as JSON when they can be. */
  errorContentType?: string | undefined;
  /** The catalog's `quirks.binaryErrorResponses`: try to read binary error bodies as UTF-8 text. */
  decodeBinary?: boolean;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Shopify-style `{"errors": {"title": ["can't be blank"]}}` → `title: can't be blank`. */
function fieldErrors(value: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const [field, messages] of Object.entries(value)) {
    const list = Array.isArray(messages) ? messages.map(str).filter((m) => m !== undefined) : [str(messages)].filter((m) => m !== undefined);
    if (list.length > 0) parts.push(`${field}: ${list.join(', ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

interface Extracted {
  message?: string | undefined;
  code?: string | undefined;
  details: Record<string, string>;
}

/** Finds message and code in a parsed JSON error body. */
function fromJson(json: unknown): Extracted {
  const details: Record<string, string> = {};
  // Salesforce answers with an array of errors.
  const root = Array.isArray(json) ? asRecord(json[0]) : asRecord(json);
  if (root === undefined) return { details };

  const error = asRecord(root.error);
  const errors = root.errors;
  const firstError = Array.isArray(errors) ? asRecord(errors[0]) : undefined;
  const errorString = str(root.error);

  const message =
    str(error?.message) ??
    str(root.message) ??
    str(root.error_description) ??
    errorString ??
    str(firstError?.message) ??
    (typeof errors === 'string' ? errors : undefined) ??
    (asRecord(errors) ? fieldErrors(asRecord(errors) ?? {}) : undefined) ??
    str(root.detail) ??
    str(root.title) ??
    str(error?.description);

  const code =
    str(error?.code) ??
    str(root.errorCode) ??
    str(root.code) ??
    (errorString !== undefined && /^[\w.:-]{1,80}$/.test(errorString) ? errorString : undefined) ??
    str(firstError?.code) ??
    str(asRecord(firstError?.extensions)?.code) ??
    str(firstError?.errorCode) ??
    str(error?.type);

  const type = str(error?.type) ?? str(root.type);
  if (type !== undefined && type !== code) details.apiErrorType = type;
  const docs = str(root.documentation_url) ?? str(error?.doc_url) ?? str(root.doc_url);
  if (docs !== undefined) details.documentationUrl = docs;
  const param = str(error?.param);
  if (param !== undefined) details.apiErrorParam = param;
  const decline = str(error?.decline_code);
  if (decline !== undefined) details.apiDeclineCode = decline;
  if (root.detail !== undefined && str(root.title) !== undefined && message !== str(root.title)) details.apiErrorTitle = str(root.title) ?? '';
  return { message, code, details };
}

function tryParseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

function htmlTitle(text: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
  return match?.[1] !== undefined && match[1].trim() !== '' ? match[1].trim() : undefined;
}

function looksLikeHtml(text: string, contentType: string): boolean {
  return contentType === 'text/html' || /^\s*(<!doctype html|<html|<head|<body)/i.test(text);
}

/** Decodes base64 bytes as UTF-8; strict unless `lossy`. */
function decodeBase64(base64: string, lossy: boolean): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: !lossy }).decode(Buffer.from(base64, 'base64'));
  } catch {
    return undefined;
  }
}

/** Reads an error (or error-carrying 2xx) body; see the module comment for the shapes understood. */
export function readErrorBody(body: ReceivedBody, opts: ReadErrorBodyOptions): ErrorBodyInfo {
  const { redactor } = opts;
  const size = `${body.size} byte${body.size === 1 ? '' : 's'}`;
  const type = body.contentType === '' ? 'no content type' : body.contentType;

  let json: unknown = body.kind === 'json' ? body.json : undefined;
  let text: string | undefined = body.kind === 'text' ? body.text : undefined;
  let decodedFromBinary = false;

  if (text === undefined && body.base64 !== undefined && opts.decodeBinary === true) {
    // binaryErrorResponses: the API sends error text with a binary content type (or bad bytes).
    text = decodeBase64(body.base64, body.problem !== undefined);
    decodedFromBinary = text !== undefined;
  }
  if (json === undefined && text !== undefined) {
    const wantJson = opts.errorContentType !== undefined && body.contentType === opts.errorContentType.toLowerCase();
    if (wantJson || decodedFromBinary || body.kind === 'text') json = tryParseJson(text);
  }

  const details: Record<string, string> = {};
  if (json !== undefined) {
    const found = fromJson(json);
    for (const [key, value] of Object.entries(found.details)) details[key] = redactor.text(truncate(value, MAX_MESSAGE));
    const info: ErrorBodyInfo = {
      details,
      matchText: JSON.stringify(json) ?? '',
      summary: `JSON body (${type}, ${size}${decodedFromBinary ? ', decoded from binary' : ''}): ${redactor.text(truncate(JSON.stringify(redactor.json(json)) ?? '', PREVIEW))}`,
      looksLikeHtml: false,
    };
    if (found.message !== undefined) info.message = redactor.text(truncate(found.message, MAX_MESSAGE));
    if (found.code !== undefined) info.code = redactor.text(truncate(found.code, 80));
    return info;
  }

  if (text !== undefined) {
    const html = looksLikeHtml(text, body.contentType);
    if (html) {
      const title = htmlTitle(text);
      const preview = truncate(text.replace(/<[^>]*>/g, ' '), PREVIEW);
      return {
        details,
        matchText: text,
        summary: redactor.text(
          `HTML page${title === undefined ? '' : ` "${truncate(title, 120)}"`} (${type}, ${size}) — looks like an error page from a proxy, gateway or login redirect rather than the API${title === undefined && preview !== '' ? `: ${preview}` : ''}`,
        ),
        looksLikeHtml: true,
      };
    }
    const preview = truncate(text, PREVIEW);
    const info: ErrorBodyInfo = {
      details,
      matchText: text,
      summary: preview === '' ? `empty body (${type})` : redactor.text(`text body (${type}, ${size}): ${preview}`),
      looksLikeHtml: false,
    };
    if (preview !== '') info.message = redactor.text(truncate(text, MAX_MESSAGE));
    return info;
  }

  if (body.kind === 'empty') return { details, matchText: '', summary: 'empty body', looksLikeHtml: false };
  if (body.location !== undefined && body.base64 === undefined) {
    return { details, matchText: '', summary: `${size} body (${type}) stored at ${body.location.path}, not inspected`, looksLikeHtml: false };
  }
  if (body.base64 !== undefined) details.bodyHexPrefix = Buffer.from(body.base64, 'base64').subarray(0, 16).toString('hex');
  return {
    details,
    matchText: '',
    summary:
      opts.decodeBinary === true
        ? `binary body (${type}, ${size}) that is not UTF-8 text`
        : `binary body (${type}, ${size}); set quirks.binaryErrorResponses in the catalog entry to read it as text`,
    looksLikeHtml: false,
  };
}
