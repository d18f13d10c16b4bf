/**
 * Builders for AttemptOutcome values (src/http/http-types.ts), so classification can be tested on exactly
 * the shapes the attempt layer produces without a network. Each returns a fresh object.
 */
import { createHash } from 'node:crypto';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import type { NetworkErrorOutcome, ReachedServer, ReceivedBody, ResponseOutcome } from '../src/http/http-types.ts';

export const TEST_URL = 'https://api.example.com/v1/customers/cus_42/orders';
/** 2026-01-01T00:00:00.000Z */
export const NOW = Date.UTC(2026, 0, 1);

function sha(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A parsed JSON body. */
export function jsonBody(json: unknown, contentType = 'application/json'): ReceivedBody {
  const text = JSON.stringify(json);
  return { contentType, kind: 'json', size: Buffer.byteLength(text), sha256: sha(text), json };
}

/** A decoded text body. */
export function textBody(text: string, contentType = 'text/plain'): ReceivedBody {
  return { contentType, kind: 'text', size: Buffer.byteLength(text), sha256: sha(text), text };
}

/** A binary body held inline as base64. */
export function binaryBody(bytes: Buffer, contentType = 'application/octet-stream'): ReceivedBody {
  return { contentType, kind: 'binary', size: bytes.length, sha256: sha(bytes), base64: bytes.toString('base64') };
}

export function emptyBody(): ReceivedBody {
  return { contentType: '', kind: 'empty', size: 0, sha256: sha('') };
}

export interface ResponseOptions {
  status?: number;
  headers?: Record<string, string>;
  body?: ReceivedBody;
  method?: string;
  url?: string;
  redirects?: string[];
}

/** A response outcome (defaults: 200, empty JSON object). */
export function responseOutcome(opts: ResponseOptions = {}): ResponseOutcome {
  const status = opts.status ?? 200;
  const headers = opts.headers ?? {};
  const body = opts.body ?? jsonBody({});
  return {
    kind: 'response',
    status,
    headers,
    body,
    durationMs: 12,
    redirects: opts.redirects ?? [],
    trace: {
      timestamp: new Date(NOW).toISOString(),
      request: { method: opts.method ?? 'POST', url: opts.url ?? TEST_URL, headers: {} },
      response: { status, headers, body: body.text ?? (body.json === undefined ? '' : JSON.stringify(body.json)), duration: 12 },
    },
  };
}

/** A network error outcome as the attempt layer reports it. */
export function networkOutcome(
  error: Partial<ErrorDetail> & Pick<ErrorDetail, 'category'>,
  reachedServer: ReachedServer,
  extra: Partial<Pick<NetworkErrorOutcome, 'phase' | 'status' | 'headers'>> & { url?: string; method?: string } = {},
): NetworkErrorOutcome {
  const detail: ErrorDetail = {
    message: `POST ${extra.url ?? TEST_URL}: failed`,
    retryable: false,
    context: {},
    ...error,
  };
  const outcome: NetworkErrorOutcome = {
    kind: 'network_error',
    error: detail,
    reachedServer,
    phase: extra.phase ?? 'connect',
    durationMs: 5,
    trace: {
      timestamp: new Date(NOW).toISOString(),
      request: { method: extra.method ?? 'POST', url: extra.url ?? TEST_URL, headers: {} },
      error: detail,
    },
  };
  if (extra.status !== undefined) outcome.status = extra.status;
  if (extra.headers !== undefined) outcome.headers = extra.headers;
  return outcome;
}
