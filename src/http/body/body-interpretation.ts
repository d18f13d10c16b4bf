/**
 * What a received body *is* (DESIGN §4 "Response → output"): JSON, text, binary or empty, decoded
 * strictly in its declared charset, with a decode or parse failure kept as a `problem` rather than
 * thrown — classification decides whether it matters (it does for a 2xx; for a 5xx it is context).
 * Pure: the bytes have already been read by the body reader.
 */
import { errorDetail } from '../../failure/errors.ts';
import type { ReceivedBody } from '../http-types.ts';
import { locateJsonError } from '../../support/json-error-position.ts';
import { bodyTreatment, looksLikeHtml, parseMediaType, type MediaType } from './media-type.ts';
import type { ApiQuirks } from '../../schemas/catalog.ts';
import type { ErrorDetail } from '../../schemas/errors.ts';
import { decodeStrict, findInvalidUtf8, resolveCharset, type DecodeFailure } from './text-decoding.ts';

/** How many characters of a body a malformed-JSON message quotes. */
export const QUOTED_BODY_CHARS = 200;

/** The hint DESIGN §4 asks for when JSON was expected and an HTML page arrived. */
export const HTML_HINT = 'It looks like an HTML error page from a proxy, gateway or login redirect.';

/** What the interpreter needs to know about the response besides its bytes. */
export interface BodyContext {
  /** The raw Content-Type header (null when absent). */
  contentTypeHeader: string | null;
  status: number;
  /** `METHOD url` as messages name the operation (already redacted). */
  operation: string;
  quirks?: Partial<ApiQuirks> | undefined;
  /**
   * Whether the caller expects JSON. When true (the default) an HTML page is reported as
   * INVALID_JSON with the HTML hint, since an API that answers with HTML is almost always a proxy.
   */
  expectJson?: boolean | undefined;
  /** Scrubs known secret values from the quoted start of a body. */
  redact?: ((text: string) => string) | undefined;
}

/** The interpreted body, without size, digest and location, which the reader adds. */
export type InterpretedBody = Omit<ReceivedBody, 'size' | 'sha256' | 'location'>;

function quoteStart(text: string, redact: (text: string) => string): string {
  // Redact before cutting, so a secret straddling the cut is still recognised whole.
  const redacted = redact(text.slice(0, QUOTED_BODY_CHARS * 4));
  const cut = redacted.length > QUOTED_BODY_CHARS ? `${redacted.slice(0, QUOTED_BODY_CHARS)}…` : redacted;
  return JSON.stringify(cut);
}

function describeType(media: MediaType, header: string | null): string {
  if (header === null || header.trim() === '') return 'no content-type';
  return `content-type ${media.essence === '' ? JSON.stringify(header) : media.essence}`;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The INVALID_ENCODING problem: which byte, which charset, and that the raw body is kept. */
export function encodingProblem(
  ctx: BodyContext,
  details: { charset: string; failure: DecodeFailure | null; byte?: number | undefined; size: number; unsupported?: boolean; kept: string },
): ErrorDetail {
  const media = parseMediaType(ctx.contentTypeHeader);
  const declared = media.charset === undefined ? `declares no charset, so it is decoded as ${details.charset},` : `declares charset ${media.charset}`;
  const where = details.unsupported
    ? `, which this runtime cannot decode (not a WHATWG encoding label)`
    : details.failure === null
      ? ''
      : details.failure.exact
        ? ` but byte ${details.failure.offset}${details.byte === undefined ? '' : ` (${hex(details.byte)})`} is not valid ${details.charset}`
        : ` but the bytes from offset ${details.failure.offset} on are not valid ${details.charset}`;
  const context: Record<string, string> = {
    contentType: media.essence,
    charset: details.charset,
    size: String(details.size),
    status: String(ctx.status),
  };
  if (details.failure !== null) context.byteOffset = String(details.failure.offset);
  return errorDetail(
    'api_response_malformed',
    `${ctx.operation}: the ${ctx.status} response ${declared}${where}; the raw ${details.size}-byte body is kept ${details.kept} for debugging.`,
    {
      code: 'INVALID_ENCODING',
      statusCode: ctx.status,
      retryable: false,
      context,
      suggestion:
        'The API sent bytes that do not match its declared charset. If this endpoint returns binary data, it should say so in its Content-Type (or set the catalog quirk binaryErrorResponses); otherwise report the wrong charset to the API provider.',
    },
  );
}

/** The INVALID_JSON problem: content type, size, parse position, the start of the body, the HTML hint. */
export function jsonProblem(ctx: BodyContext, text: string, size: number): ErrorDetail {
  const media = parseMediaType(ctx.contentTypeHeader);
  const html = looksLikeHtml(media.essence, text);
  const located = locateJsonError(text);
  const position = located ?? { position: 0, line: 1, column: 1, expected: 'a JSON value', found: 'something JSON.parse rejects' };
  const redact = ctx.redact ?? ((value: string) => value);
  const lead = html
    ? `expected JSON but the ${ctx.status} response is an HTML page (${describeType(media, ctx.contentTypeHeader)}, ${size} bytes)`
    : `the ${ctx.status} response body is not valid JSON (${describeType(media, ctx.contentTypeHeader)}, ${size} bytes)`;
  const message =
    `${ctx.operation}: ${lead}: at position ${position.position} (line ${position.line}, column ${position.column}) ` +
    `expected ${position.expected} but found ${position.found}.${html ? ` ${HTML_HINT}` : ''} First ${QUOTED_BODY_CHARS} characters: ${quoteStart(text, redact)}`;
  return errorDetail('api_response_malformed', message, {
    code: 'INVALID_JSON',
    statusCode: ctx.status,
    retryable: false,
    context: {
      contentType: media.essence,
      size: String(size),
      status: String(ctx.status),
      position: String(position.position),
      line: String(position.line),
      column: String(position.column),
      looksLikeHtml: String(html),
    },
    suggestion: html
      ? 'Something other than the API answered: check the URL, whether a proxy, load balancer or single sign-on page sits in front of the API, and whether the credentials were accepted. The start of the page is in the message and the attempt trace.'
      : 'The API sent broken JSON (often a truncated or hand-built error body). Look at the body in the attempt trace; if it persists, report it to the API provider.',
  });
}

function parseJson(ctx: BodyContext, text: string, size: number, contentType: string): InterpretedBody {
  try {
    return { contentType, kind: 'json', json: JSON.parse(text) as unknown };
  } catch {
    return { contentType, kind: 'text', text, problem: jsonProblem(ctx, text, size) };
  }
}

/** Interprets a body held entirely in memory. `bytes.length === 0` is the empty body. */
export function interpretBody(bytes: Uint8Array, ctx: BodyContext): InterpretedBody {
  const media = parseMediaType(ctx.contentTypeHeader);
  const contentType = media.essence;
  if (bytes.length === 0) return { contentType, kind: 'empty' };
  const treatment = bodyTreatment(media, ctx.quirks);
  const expectJson = ctx.expectJson ?? true;
  const base64 = (): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

  if (treatment === 'binary') return { contentType, kind: 'binary', base64: base64() };

  if (treatment === 'sniff') {
    if (findInvalidUtf8(bytes) >= 0 || bytes.includes(0)) return { contentType, kind: 'binary', base64: base64() };
    const text = new TextDecoder('utf-8').decode(bytes);
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return { contentType, kind: 'json', json: JSON.parse(text) as unknown };
      } catch {
        // Looked like JSON but is not: without a declared type it is just text.
      }
    }
    if (expectJson && looksLikeHtml(contentType, text)) {
      return { contentType, kind: 'text', text, problem: jsonProblem(ctx, text, bytes.length) };
    }
    return { contentType, kind: 'text', text };
  }

  const charset = resolveCharset(media.charset);
  const kind = treatment === 'json' ? 'json' : 'text';
  if (!charset.ok) {
    return {
      contentType,
      kind,
      base64: base64(),
      problem: encodingProblem(ctx, { charset: charset.label, failure: null, size: bytes.length, unsupported: true, kept: 'base64-encoded' }),
    };
  }
  const decoded = decodeStrict(bytes, charset.encoding);
  if (!decoded.ok) {
    return {
      contentType,
      kind,
      base64: base64(),
      problem: encodingProblem(ctx, {
        charset: charset.encoding,
        failure: decoded.failure,
        byte: bytes[decoded.failure.offset],
        size: bytes.length,
        kept: 'base64-encoded',
      }),
    };
  }
  if (treatment === 'json') return parseJson(ctx, decoded.text, bytes.length, contentType);
  if (expectJson && looksLikeHtml(contentType, decoded.text)) {
    return { contentType, kind: 'text', text: decoded.text, problem: jsonProblem(ctx, decoded.text, bytes.length) };
  }
  return { contentType, kind: 'text', text: decoded.text };
}
