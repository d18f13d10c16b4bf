/**
 * The viewer's request checks (docs/viewer.md "Security model"), pure so they are tested alone:
 *
 * - **Host** on every request must name the address the viewer is bound to (or a loopback name for a
 *   loopback bind). A DNS-rebinding page reaches 127.0.0.1 under *its own* host name; refusing that
 *   name keeps it from reading anything, the token included.
 * - **POST** (every state change) must carry the session token in a header, which a cross-origin page
 *   can neither read nor attach without a CORS preflight we never answer; and an `Origin`, when the
 *   client sends one (browsers do), must be this viewer's own.
 */
import { isIP } from 'node:net';
import { TOKEN_HEADER, tokensMatch } from './session-token.ts';

/** Where the viewer listens. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** Why a request was refused: the HTTP status and a message naming the header at fault. */
export interface Refusal {
  status: 403 | 421;
  message: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '0:0:0:0:0:0:0:1']);

/** Whether a `--host` value is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(bare)) return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '[::]';

/** Splits a Host header into its name and port; undefined when it is not `name[:port]`. */
export function parseHostHeader(value: string): { name: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match?.[1]) return undefined;
  return { name: match[1].replace(/^\[|\]$/g, '').toLowerCase(), port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** The URL a browser uses for the viewer (what `Origin` must equal, and what the CLI prints). */
export function viewerOrigin(bound: BoundAddress): string {
  const host = isWildcard(bound.host) ? '127.0.0.1' : bound.host;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound.port}`;
}

/**
 * Checks the Host header. A loopback bind accepts loopback names only; a bind to one address accepts
 * that address; a wildcard bind (`--allow-remote --host 0.0.0.0`) accepts IP literals — never a DNS
 * name, which is what a rebinding attack needs.
 */
export function checkHost(hostHeader: string | undefined, bound: BoundAddress): Refusal | undefined {
  const expected = viewerOrigin(bound).slice('http://'.length);
  const parsed = hostHeader === undefined ? undefined : parseHostHeader(hostHeader);
  const refuse = (why: string): Refusal => ({ status: 421, message: `Host header ${JSON.stringify(hostHeader ?? '')} refused: ${why}; open the viewer as http://${expected}/ (DNS-rebinding defence).` });
  if (!parsed) return refuse('it is missing or malformed');
  if (parsed.port !== bound.port) return refuse(`port ${parsed.port ?? '(none)'} is not the viewer's port ${bound.port}`);
  const boundName = bound.host.replace(/^\[|\]$/g, '').toLowerCase();
  if (parsed.name === boundName) return undefined;
  if (isLoopbackHost(bound.host) && isLoopbackHost(parsed.name)) return undefined;
  if (isWildcard(bound.host) && isIP(parsed.name) !== 0) return undefined;
  return refuse(`${parsed.name} is not an address this viewer is bound to`);
}

/** What {@link checkStateChange} reads from a request. */
export interface StateChangeHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  secFetchSite?: string | undefined;
  token?: string | undefined;
}

/** Checks a POST: the session token (constant-time) and, when present, Origin and Sec-Fetch-Site. */
export function checkStateChange(headers: StateChangeHeaders, expectedToken: string, what: string): Refusal | undefined {
  const refuse = (why: string): Refusal => ({ status: 403, message: `${what} refused: ${why}.` });
  if (headers.origin !== undefined) {
    const own = `http://${headers.host ?? ''}`.toLowerCase();
    if (headers.origin.toLowerCase() !== own) return refuse(`Origin ${JSON.stringify(headers.origin)} is not this viewer (${own}); cross-site requests cannot change anything`);
  }
  if (headers.secFetchSite !== undefined && headers.secFetchSite !== 'same-origin' && headers.secFetchSite !== 'none') {
    return refuse(`Sec-Fetch-Site is ${JSON.stringify(headers.secFetchSite)}; only the viewer's own pages may change anything`);
  }
  if (headers.token === undefined || headers.token === '') return refuse(`the ${TOKEN_HEADER} header is missing (the viewer's pages send it; scripts read it from the viewer's state file)`);
  if (!tokensMatch(expectedToken, headers.token)) return refuse(`the ${TOKEN_HEADER} header does not match this viewer session (was the viewer restarted? reload the page)`);
  return undefined;
}
