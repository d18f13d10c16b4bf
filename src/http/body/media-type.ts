/**
 * Content-Type parsing and the decisions the body reader makes from it: is this body JSON, text or
 * binary, and in which charset is its text. Pure.
 */
import { MIMEType } from 'node:util';
import type { ApiQuirks } from '../../schemas/catalog.ts';

/** A parsed `Content-Type` header. */
export interface MediaType {
  /** `type/subtype`, lower-cased, without parameters; `''` when the header is absent or empty. */
  essence: string;
  /** The `charset` parameter, lower-cased and unquoted, when the server declared one. */
  charset?: string;
}

/** How the body reader treats a body, decided from its media type before any byte is read. */
export type BodyTreatment = 'json' | 'text' | 'binary' | 'sniff';

/**
 * Parses a Content-Type header value with Node's WHATWG `MIMEType` (type/subtype tokens, quoted
 * parameters, case folding); never throws, whatever the server sent — an unparsable value has no
 * essence and is sniffed.
 */
export function parseMediaType(header: string | null | undefined): MediaType {
  if (header === null || header === undefined || header.trim() === '') return { essence: '' };
  let mime: MIMEType;
  try {
    mime = new MIMEType(header);
  } catch {
    return { essence: '' };
  }
  const media: MediaType = { essence: mime.essence };
  const charset = mime.params.get('charset')?.trim().toLowerCase();
  if (charset) media.charset = charset;
  return media;
}

/** Whether a media type is JSON: `application/json`, any `+json` suffix, or the API's declared oddity. */
export function isJsonMediaType(essence: string, quirks: Partial<ApiQuirks> = {}): boolean {
  if (essence === 'application/json' || essence.endsWith('+json')) return true;
  const declared = quirks.nonStandardJsonContentType;
  return declared !== undefined && parseMediaType(declared).essence === essence && essence !== '';
}

const TEXT_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/yaml',
  'application/x-yaml',
  'application/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/sql',
]);

/**
 * Decides the treatment of a body from its media type. A declared charset makes any type text; an
 * absent or unparsable Content-Type is sniffed (JSON, then UTF-8 text, else binary).
 */
export function bodyTreatment(media: MediaType, quirks: Partial<ApiQuirks> = {}): BodyTreatment {
  const { essence } = media;
  if (essence === '') return 'sniff';
  if (isJsonMediaType(essence, quirks)) return 'json';
  if (essence.startsWith('text/') || essence.endsWith('+xml') || TEXT_TYPES.has(essence)) return 'text';
  if (media.charset !== undefined) return 'text';
  return 'binary';
}

/** Whether a media type (or, failing that, the text itself) says this is an HTML page. */
export function looksLikeHtml(essence: string, text: string): boolean {
  if (essence === 'text/html' || essence === 'application/xhtml+xml') return true;
  return /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<title[\s>])/i.test(text.slice(0, 512));
}
