/**
 * Reading requests and writing responses for the viewer's `node:http` server: bounded bodies, JSON
 * errors that say what was wrong, and the security headers every response carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sent with every response. The CSP allows nothing but this origin (no CDN, no inline script), so even
 * API text that slipped into the DOM as markup could not run; framing is refused (clickjacking).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** A request the viewer refuses, with the status to answer. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** `{ "error": { "message", "code"? } }`: what every refusal and failure answers. */
export function sendError(res: ServerResponse, status: number, message: string, code?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { message, ...(code ? { code } : {}) } });
}

/** Reads a JSON body of at most `limit` bytes; refuses other content types, oversize and bad JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number, what: string): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `${what}: the body is ${declared} bytes; the limit is ${limit}.`, 'BODY_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `${what}: the body is over the limit of ${limit} bytes.`, 'BODY_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  if (type !== 'application/json') throw new HttpError(415, `${what}: the body must be application/json, not ${JSON.stringify(type || '(none)')}.`, 'UNSUPPORTED_MEDIA_TYPE');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new HttpError(400, `${what}: the body is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, 'INVALID_JSON');
  }
}
