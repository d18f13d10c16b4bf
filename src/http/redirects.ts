/**
 * Manual redirect following (DESIGN §4 "Request building"): what the next hop is, which headers it may
 * carry, and when to stop. Same-origin hops keep authentication; a hop to another origin loses every
 * header that carries a credential, so a redirect can never hand a token to a third party. Pure.
 */
import { errorDetail } from '../failure/errors.ts';
import type { HttpMethod } from './http-types.ts';
import type { ErrorDetail } from '../schemas/errors.ts';

/** Statuses that carry a Location to follow. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a request body; dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);

/** Headers that carry credentials whoever set them; never sent to another origin. */
export const ALWAYS_CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie'];

/** The default and the DESIGN's limit on hops per attempt. */
export const MAX_REDIRECTS = 5;

/** Whether a status is a redirect this layer follows (when a Location is present). */
export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** One hop's request (authentication headers are added per hop by the caller, not kept here). */
export interface HopRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** Everything the decision needs to know. */
export interface RedirectInput {
  current: HopRequest;
  status: number;
  location: string;
  /** URLs requested so far in this attempt, first to current. */
  chain: readonly string[];
  /** `METHOD url` keys of hops already made. */
  visited: ReadonlySet<string>;
  /** The origin of the attempt's first URL. */
  originalOrigin: string;
  /** Lower-cased header names that carry credentials besides {@link ALWAYS_CREDENTIAL_HEADERS}. */
  credentialHeaders: Iterable<string>;
  maxRedirects?: number | undefined;
  /** Renders a URL for messages (redaction). */
  display?: ((url: string) => string) | undefined;
}

/** Follow to `next`, or stop with an error (api_unexpected_status). */
export type RedirectDecision =
  | { follow: true; next: HopRequest; crossOrigin: boolean; droppedHeaders: string[] }
  | { follow: false; error: ErrorDetail };

function stop(input: RedirectInput, code: string, message: string, suggestion: string, extra: Record<string, string> = {}): RedirectDecision {
  const display = input.display ?? ((url: string) => url);
  return {
    follow: false,
    error: errorDetail('api_unexpected_status', `${input.current.method} ${display(input.chain[0] ?? input.current.url)}: ${message}`, {
      code,
      statusCode: input.status,
      retryable: false,
      context: { redirects: input.chain.map(display).join(' → '), status: String(input.status), ...extra },
      suggestion,
    }),
  };
}

/**
 * Decides the next hop after a redirect response. 303 (and 301/302 after a POST, as browsers and the
 * Fetch standard do) becomes a GET without body; 307/308 keep method and body.
 */
export function nextRedirectHop(input: RedirectInput): RedirectDecision {
  const display = input.display ?? ((url: string) => url);
  const max = input.maxRedirects ?? MAX_REDIRECTS;
  let target: URL;
  try {
    target = new URL(input.location, input.current.url);
  } catch {
    return stop(input, 'INVALID_REDIRECT', `the ${input.status} response points to ${JSON.stringify(input.location)}, which is not a valid URL.`,
      'The server sent a broken Location header; point endpoint.url at the final URL or report it to the API provider.');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return stop(input, 'INVALID_REDIRECT', `the ${input.status} response redirects to the ${target.protocol} scheme, which is not followed.`,
      'Only http and https redirects are followed; point endpoint.url at the final URL.');
  }
  target.hash = '';
  const nextUrl = target.href;
  const toGet = input.status === 303 ? input.current.method !== 'GET' : (input.status === 301 || input.status === 302) && input.current.method === 'POST';
  const method: HttpMethod = toGet ? 'GET' : input.current.method;
  const key = `${method} ${nextUrl}`;
  if (input.visited.has(key)) {
    return stop(input, 'REDIRECT_LOOP', `redirect loop: ${[...input.chain, nextUrl].map(display).join(' → ')}.`,
      "The server redirects in a circle (often a login or trailing-slash rule). Point endpoint.url at the final URL or fix the server's redirect rules.");
  }
  // chain holds the original URL plus every redirect followed so far.
  if (input.chain.length > max) {
    return stop(input, 'TOO_MANY_REDIRECTS', `gave up after ${max} redirects (${[...input.chain, nextUrl].map(display).join(' → ')}).`,
      "Point the definition's endpoint.url at the final URL, or fix the server's redirect configuration.");
  }

  const crossOrigin = target.origin !== input.originalOrigin;
  const credential = new Set([...ALWAYS_CREDENTIAL_HEADERS, ...[...input.credentialHeaders].map((name) => name.toLowerCase())]);
  const headers: Record<string, string> = {};
  const droppedHeaders: string[] = [];
  for (const [name, value] of Object.entries(input.current.headers)) {
    const lower = name.toLowerCase();
    if ((crossOrigin && credential.has(lower)) || (toGet && BODY_HEADERS.has(lower))) droppedHeaders.push(name);
    else headers[name] = value;
  }
  const next: HopRequest = { method, url: nextUrl, headers };
  if (!toGet && input.current.body !== undefined) next.body = input.current.body;
  return { follow: true, next, crossOrigin, droppedHeaders };
}
