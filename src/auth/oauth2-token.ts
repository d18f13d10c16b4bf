/**
 * One OAuth 2.0 token request (RFC 6749 §4.4 client credentials, §6 refresh token) and the mapping of
 * its failures to ErrorDetails: a rejected client or grant is `auth_invalid` (repeating cannot help);
 * a token endpoint that is down (5xx, 429, network) is retryable, because the credential may be fine.
 */
import { STATUS_CODES } from 'node:http';
import { actionError, type ActionError } from '../failure/errors.ts';
import type { Redactor } from '../redaction/redaction.ts';
import { parseRetryAfter } from '../failure/rate-limit-headers.ts';

export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: readonly string[];
  /** When set, the refresh-token grant is used instead of client credentials. */
  refreshToken?: string | undefined;
  /** RFC 6749 §2.3.1: `body` (client_secret_post) or `basic` (HTTP Basic, client_secret_basic). */
  clientAuth: 'body' | 'basic';
  timeoutMs: number;
  fetch: typeof fetch;
  now: () => number;
  redactor: Redactor;
  /** Credential names behind the secret fields, named in errors instead of values. */
  credentialNames: readonly string[];
}

/** A token as the endpoint returned it. */
export interface TokenResponse {
  accessToken: string;
  /** Lifetime in ms, when the endpoint said (`expires_in`). */
  expiresInMs?: number;
  /** A rotated refresh token, when the endpoint issued one. */
  refreshToken?: string;
}

/** OAuth error codes that mean "this client or grant will not work": never retried. */
const PERMANENT_OAUTH_ERRORS = new Set(['invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_request']);
const MAX_BODY_CHARS = 64 * 1024;

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function suggestionFor(code: string | undefined, req: TokenRequest): string {
  const names = req.credentialNames.length > 0 ? ` (${req.credentialNames.join(', ')})` : '';
  switch (code) {
    case 'invalid_client':
      return `The token endpoint does not accept this client. Check the oauth2 clientId and clientSecret credentials${names}, and whether the endpoint expects them in the body or as HTTP Basic.`;
    case 'invalid_grant':
      return req.refreshToken !== undefined
        ? `The refresh token is expired, revoked or was issued to another client. Re-authorize to obtain a new refresh token and update the credential${names}.`
        : 'The authorization server rejected the client-credentials grant. Check that this grant is enabled for the client.';
    case 'invalid_scope':
      return `The requested scope (${req.scope.join(' ') || 'none'}) is not allowed for this client. Fix authentication.scope.`;
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return 'The client is not allowed to use this grant type. Enable it for the client at the authorization server.';
    default:
      return `Check the oauth2 settings (tokenUrl, clientId, clientSecret${names}) against the provider documentation.`;
  }
}

/** Requests a token. Throws ActionError (see the module comment for categories). */
export async function requestToken(req: TokenRequest): Promise<TokenResponse> {
  const grant = req.refreshToken !== undefined ? 'refresh_token' : 'client_credentials';
  const form = new URLSearchParams({ grant_type: grant });
  if (req.refreshToken !== undefined) form.set('refresh_token', req.refreshToken);
  if (req.scope.length > 0) form.set('scope', req.scope.join(' '));
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (req.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(req.clientId)}:${formEncode(req.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', req.clientId);
    form.set('client_secret', req.clientSecret);
  }

  const what = `OAuth2 token request (${grant} grant) to ${req.redactor.text(req.tokenUrl)}`;
  const context: Record<string, string> = { tokenUrl: req.redactor.text(req.tokenUrl), grantType: grant };
  if (req.credentialNames.length > 0) context.credentials = req.credentialNames.join(', ');
  const fail = (category: Parameters<typeof actionError>[0], message: string, fields: Parameters<typeof actionError>[2]): ActionError =>
    actionError(category, req.redactor.text(message), { ...fields, context: { ...context, ...fields?.context } });

  let response: Response;
  try {
    response = await req.fetch(req.tokenUrl, {
      method: 'POST',
      headers,
      body: form.toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw fail('network_timeout', `${what} got no answer within ${req.timeoutMs} ms`, {
        code: 'TOKEN_ENDPOINT_TIMEOUT',
        retryable: true,
        suggestion: 'The authorization server is slow or unreachable; the request is retried per the retry policy. Check the provider status page.',
      });
    }
    const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
    throw fail('network_connection_refused', `${what} could not connect: ${detail}`, {
      code: 'TOKEN_ENDPOINT_UNREACHABLE',
      retryable: true,
      context: { cause: detail },
      suggestion: 'Check authentication.tokenUrl, DNS and network access to the authorization server.',
    });
  }

  const text = (await response.text().catch(() => '')).slice(0, MAX_BODY_CHARS);
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const status = `${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim();

  if (response.ok) {
    const token = json?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw fail('api_response_malformed', `${what} returned ${status} without an access_token (${json === undefined ? 'body is not a JSON object' : `fields: ${Object.keys(json).join(', ') || 'none'}`})`, {
        code: 'TOKEN_RESPONSE_INVALID',
        statusCode: response.status,
        suggestion: 'Check that authentication.tokenUrl is the OAuth2 token endpoint (not an authorization page).',
      });
    }
    const out: TokenResponse = { accessToken: token };
    const expiresIn = typeof json?.expires_in === 'string' ? Number(json.expires_in) : json?.expires_in;
    if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) out.expiresInMs = expiresIn * 1000;
    if (typeof json?.refresh_token === 'string' && json.refresh_token !== '') out.refreshToken = json.refresh_token;
    return out;
  }

  const oauthError = typeof json?.error === 'string' ? json.error : undefined;
  const description = typeof json?.error_description === 'string' ? json.error_description : undefined;
  const said = [oauthError, description].filter((s) => s !== undefined).join(': ') || text.replace(/\s+/g, ' ').slice(0, 200) || 'empty body';
  const fields = { code: oauthError ?? `TOKEN_HTTP_${response.status}`, statusCode: response.status };
  if (response.status >= 500) {
    throw fail('api_unexpected_status', `${what} failed with ${status}: ${said}`, {
      ...fields,
      retryable: true,
      suggestion: 'The authorization server failed; the request is retried per the retry policy. Check the provider status page if it persists.',
    });
  }
  if (response.status === 429) {
    const wait = parseRetryAfter(response.headers.get('retry-after') ?? '', req.now());
    throw fail('rate_limit_burst', `${what} was rate limited (${status}): ${said}`, {
      ...fields,
      retryable: true,
      ...(wait === undefined ? {} : { retryAfter: new Date(req.now() + wait).toISOString() }),
      suggestion: 'Too many token requests: tokens are cached in memory, so this usually means many processes start at once.',
    });
  }
  const permanent = oauthError !== undefined && PERMANENT_OAUTH_ERRORS.has(oauthError);
  throw fail('auth_invalid', `${what} was rejected with ${status}: ${said}`, {
    ...fields,
    retryable: false,
    ...(permanent ? {} : { context: { note: 'not a standard OAuth2 error response' } }),
    suggestion: suggestionFor(oauthError, req),
  });
}
