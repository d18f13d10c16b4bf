/**
 * Authentication (EXEC-006, edge case 3, DESIGN §5): turns a definition's `authentication` block into
 * the headers of each attempt. Secret fields are `${credentials.NAME}` templates resolved from the
 * request's credentials — a literal secret in a definition is refused, because definitions live in
 * files and journals. OAuth2 tokens are cached in memory only (shared across actions through a
 * TokenCache) and never persisted; every credential value and fetched token is reported through
 * `secrets()`/`onSecret` so the redactor can remove it from everything recorded.
 */
import { createHash } from 'node:crypto';
import { actionError, isActionError } from '../failure/errors.ts';
import type { Authentication } from '../schemas/auth.ts';
import type { AuthHook, HttpMethod } from '../http/http-types.ts';
import { createRedactor } from '../redaction/redaction.ts';
import { credentialNamesIn, resolveCredentialTemplate } from '../references/references.ts';
import { requestToken } from './oauth2-token.ts';

/** A custom authentication handler, registered on the executor by name. Returns headers to add. */
export type CustomAuthHandler = (req: {
  method: HttpMethod;
  url: string;
  credentials: Readonly<Record<string, string>>;
}) => Promise<Record<string, string>> | Record<string, string>;

/** An access token in the cache. */
export interface CachedToken {
  accessToken: string;
  /** Epoch ms after which the token is no longer used (already shortened by a safety margin); null = until a 401. */
  expiresAt: number | null;
  /** The latest refresh token (providers may rotate it on every use). */
  refreshToken?: string;
}

/** In-memory OAuth2 token cache, shared by all actions of an executor. Never persisted. */
export interface TokenCache {
  /** The cached token if still fresh at `now`. */
  get(key: string, now: number): CachedToken | undefined;
  /** The latest entry, fresh or stale (for its rotated refresh token). */
  peek(key: string): CachedToken | undefined;
  set(key: string, token: CachedToken): void;
  /**
   * Marks the entry stale. With `accessToken`, only if the entry still holds that token: another
   * action may already have replaced it with a fresh one, which must survive.
   */
  invalidate(key: string, accessToken?: string): void;
  /** Runs `fetcher` at most once at a time per key; concurrent callers share its result. */
  singleFlight(key: string, fetcher: () => Promise<CachedToken>): Promise<CachedToken>;
  clear(): void;
  readonly size: number;
}

/** Creates an empty in-memory token cache. */
export function createTokenCache(): TokenCache {
  const entries = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<CachedToken>>();
  return {
    get(key, now) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      return entry.expiresAt === null || now < entry.expiresAt ? entry : undefined;
    },
    peek: (key) => entries.get(key),
    set(key, token) {
      entries.set(key, token);
    },
    invalidate(key, accessToken) {
      const entry = entries.get(key);
      if (entry === undefined || (accessToken !== undefined && entry.accessToken !== accessToken)) return;
      entries.set(key, { ...entry, expiresAt: Number.NEGATIVE_INFINITY });
    },
    singleFlight(key, fetcher) {
      const running = inflight.get(key);
      if (running !== undefined) return running;
      const started = fetcher().finally(() => inflight.delete(key));
      inflight.set(key, started);
      return started;
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** Adds authentication to requests; one per action execution. */
export interface Authenticator {
  /** Passed to the attempt layer; called for every attempt and every same-origin redirect hop. */
  hook: AuthHook;
  /** True for oauth2: a 401 is `auth_expired`, and the executor refreshes once and repeats. */
  refreshable: boolean;
  /** Lower-cased names of the headers this adds (dropped on cross-origin redirects, redacted). */
  headerNames(): string[];
  /** Drops the cached token and fetches a new one. Throws ActionError. */
  refresh(): Promise<void>;
  /** Credential values and fetched tokens known so far, for the redactor. */
  secrets(): string[];
}

export interface AuthenticatorOptions {
  /** The request's `context.credentials`. */
  credentials: Record<string, string>;
  /** Custom handlers by name (`authentication: { type: 'custom', handler: 'name' }`). */
  customHandlers?: Record<string, CustomAuthHandler>;
  /** Share one cache across actions so they share tokens. @default a cache private to this authenticator */
  tokenCache?: TokenCache;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
  /** Token request timeout. @default 10000 */
  timeoutMs?: number;
  /** How the oauth2 client authenticates at the token endpoint (RFC 6749 §2.3.1). @default 'body' */
  oauthClientAuth?: 'body' | 'basic';
  /** Called with every secret learned after creation (fetched tokens, custom header values). */
  onSecret?: (secret: string) => void;
}

/** Tokens are dropped this long before they expire (10 % of short lifetimes), so no request carries a token that dies in flight. */
const MAX_EXPIRY_MARGIN_MS = 60_000;

function tokenExpiry(now: number, lifetimeMs: number | undefined): number | null {
  if (lifetimeMs === undefined) return null;
  return now + lifetimeMs - Math.min(MAX_EXPIRY_MARGIN_MS, lifetimeMs / 10);
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/**
 * Resolves a secret field; refuses literals so a secret never sits in a definition file.
 * Missing credentials surface as references.ts's `auth_invalid` CREDENTIAL_MISSING, naming the credential.
 */
function resolveSecret(template: string, field: string, credentials: Record<string, string>): { value: string; names: string[] } {
  const names = credentialNamesIn(template);
  if (names.length === 0) {
    throw actionError(
      'auth_invalid',
      `${field} must reference a credential, e.g. "\${credentials.API_TOKEN}"; the definition contains a literal value instead (not shown). Secrets in definitions end up in files and journals.`,
      {
        code: 'CREDENTIAL_NOT_REFERENCED',
        context: { field },
        suggestion: `Move the secret into the request's context.credentials and write "\${credentials.NAME}" in ${field}.`,
      },
    );
  }
  return { value: resolveCredentialTemplate(template, credentials, field), names };
}

function noAuth(): Authenticator {
  return {
    hook: { headers: async () => ({}) },
    refreshable: false,
    headerNames: () => [],
    refresh: async () => {
      throw actionError('auth_invalid', 'This action has no authentication to refresh.', { code: 'AUTH_NOT_REFRESHABLE' });
    },
    secrets: () => [],
  };
}

function notRefreshable(type: string): () => Promise<void> {
  return async () => {
    throw actionError('auth_invalid', `${type} authentication cannot be refreshed automatically; only oauth2 tokens can.`, {
      code: 'AUTH_NOT_REFRESHABLE',
      context: { authType: type },
      suggestion: 'Renew the credential and run the action again, or use oauth2 authentication.',
    });
  };
}

/**
 * Builds the authenticator for one definition. Throws ActionError `auth_invalid` right away for a
 * missing credential (naming it, never a value), a literal secret, or an unknown custom handler
 * (listing the registered names) — before any request is sent.
 */
export function createAuthenticator(auth: Authentication | undefined, opts: AuthenticatorOptions): Authenticator {
  if (auth === undefined) return noAuth();
  const known = new Set<string>();
  const learn = (secret: string): void => {
    if (secret === '' || known.has(secret)) return;
    known.add(secret);
    opts.onSecret?.(secret);
  };
  const secrets = (): string[] => [...known];

  switch (auth.type) {
    case 'bearer': {
      const { value, names } = resolveSecret(auth.token, 'authentication.token', opts.credentials);
      for (const name of names) learn(opts.credentials[name] ?? '');
      learn(value);
      const header = /^bearer\s/i.test(value) ? value : `Bearer ${value}`;
      return { hook: { headers: async () => ({ authorization: header }) }, refreshable: false, headerNames: () => ['authorization'], refresh: notRefreshable('bearer'), secrets };
    }
    case 'api_key': {
      const { value, names } = resolveSecret(auth.value, 'authentication.value', opts.credentials);
      for (const name of names) learn(opts.credentials[name] ?? '');
      learn(value);
      const headerName = auth.header.toLowerCase();
      return { hook: { headers: async () => ({ [headerName]: value }) }, refreshable: false, headerNames: () => [headerName], refresh: notRefreshable('api_key'), secrets };
    }
    case 'oauth2':
      return oauth2Authenticator(auth, opts, learn, secrets);
    case 'custom':
      return customAuthenticator(auth.handler, opts, learn, secrets);
  }
}

function oauth2Authenticator(
  auth: Extract<Authentication, { type: 'oauth2' }>,
  opts: AuthenticatorOptions,
  learn: (secret: string) => void,
  secrets: () => string[],
): Authenticator {
  const credentialNames: string[] = [];
  const clientId = credentialNamesIn(auth.clientId).length > 0 ? resolveCredentialTemplate(auth.clientId, opts.credentials, 'authentication.clientId') : auth.clientId;
  credentialNames.push(...credentialNamesIn(auth.clientId));
  const secret = resolveSecret(auth.clientSecret, 'authentication.clientSecret', opts.credentials);
  credentialNames.push(...secret.names);
  const refresh = auth.refreshToken === undefined ? undefined : resolveSecret(auth.refreshToken, 'authentication.refreshToken', opts.credentials);
  if (refresh !== undefined) credentialNames.push(...refresh.names);
  for (const name of credentialNames) learn(opts.credentials[name] ?? '');
  learn(secret.value);
  if (refresh !== undefined) learn(refresh.value);

  const cache = opts.tokenCache ?? createTokenCache();
  const now = opts.now ?? Date.now;
  const key = ['oauth2', auth.tokenUrl, clientId, [...auth.scope].sort().join(' '), hash(secret.value), refresh === undefined ? 'cc' : hash(refresh.value)].join('|');
  const redactor = createRedactor([secret.value, ...(refresh === undefined ? [] : [refresh.value])]);
  let lastToken: string | undefined;

  const obtain = async (): Promise<string> => {
    const fresh = cache.get(key, now());
    const token =
      fresh ??
      (await cache.singleFlight(key, async () => {
        const refreshToken = cache.peek(key)?.refreshToken ?? refresh?.value;
        if (refreshToken !== undefined) redactor.addSecret(refreshToken);
        const response = await requestToken({
          tokenUrl: auth.tokenUrl,
          clientId,
          clientSecret: secret.value,
          scope: auth.scope,
          refreshToken,
          clientAuth: opts.oauthClientAuth ?? 'body',
          timeoutMs: opts.timeoutMs ?? 10_000,
          fetch: opts.fetch ?? globalThis.fetch,
          now,
          redactor,
          credentialNames: [...new Set(credentialNames)],
        });
        const entry: CachedToken = { accessToken: response.accessToken, expiresAt: tokenExpiry(now(), response.expiresInMs) };
        const nextRefresh = response.refreshToken ?? refreshToken;
        if (nextRefresh !== undefined) entry.refreshToken = nextRefresh;
        cache.set(key, entry);
        return entry;
      }));
    learn(token.accessToken);
    if (token.refreshToken !== undefined) learn(token.refreshToken);
    lastToken = token.accessToken;
    return token.accessToken;
  };

  return {
    hook: { headers: async () => ({ authorization: `Bearer ${await obtain()}` }) },
    refreshable: true,
    headerNames: () => ['authorization'],
    refresh: async () => {
      cache.invalidate(key, lastToken);
      await obtain();
    },
    secrets,
  };
}

function customAuthenticator(
  name: string,
  opts: AuthenticatorOptions,
  learn: (secret: string) => void,
  secrets: () => string[],
): Authenticator {
  const handlers = opts.customHandlers ?? {};
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  if (handler === undefined) {
    const registered = Object.keys(handlers).sort();
    throw actionError(
      'auth_invalid',
      `authentication.handler "${name}" is not a registered custom auth handler; registered: ${registered.length === 0 ? 'none' : registered.join(', ')}`,
      {
        code: 'CUSTOM_AUTH_UNKNOWN',
        context: { handler: name, registered: registered.join(', ') },
        suggestion: `Register a handler named "${name}" with createActionExecutor({ customAuth: { ${JSON.stringify(name)}: handler } }), or fix authentication.handler.`,
      },
    );
  }
  // The handler may read any credential, so every credential value is a secret.
  for (const value of Object.values(opts.credentials)) learn(value);
  const credentials = Object.freeze({ ...opts.credentials });
  const names = new Set<string>();
  const redactor = createRedactor(Object.values(opts.credentials));

  return {
    hook: {
      headers: async (request) => {
        let out: unknown;
        try {
          out = await handler({ method: request.method, url: request.url, credentials });
        } catch (error) {
          if (isActionError(error)) throw error;
          const message = error instanceof Error ? error.message : String(error);
          throw actionError('auth_invalid', redactor.text(`custom auth handler "${name}" failed for ${request.method} ${request.url}: ${message}`), {
            code: 'CUSTOM_AUTH_FAILED',
            context: { handler: name },
            suggestion: `Fix the custom auth handler "${name}" (throw an ActionError from it to choose another category, e.g. a retryable one).`,
          });
        }
        const bad = out === null || typeof out !== 'object' || Array.isArray(out)
          ? ['(not an object)']
          : Object.entries(out).filter(([, v]) => typeof v !== 'string').map(([k]) => k);
        if (bad.length > 0) {
          throw actionError('auth_invalid', `custom auth handler "${name}" must return an object of string header values; bad: ${bad.join(', ')}`, {
            code: 'CUSTOM_AUTH_BAD_HEADERS',
            context: { handler: name },
          });
        }
        const headers: Record<string, string> = {};
        for (const [header, value] of Object.entries(out as Record<string, string>)) {
          const lower = header.toLowerCase();
          names.add(lower);
          learn(value);
          headers[lower] = value;
        }
        return headers;
      },
    },
    refreshable: false,
    headerNames: () => [...names],
    refresh: notRefreshable(`custom ("${name}")`),
    secrets,
  };
}
