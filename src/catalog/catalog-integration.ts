/**
 * Consulting the API catalog (EXEC-015, DESIGN §5 "Catalog matching"). The catalog is someone else's
 * service: it may throw, hang or return entries that do not parse. None of that may fail an action, so
 * every such problem degrades to "no entry" with a reason the executor writes into the trace.
 */
import { ApiCatalogEntrySchema } from '../schemas/catalog.ts';
import type { ApiCatalog, ApiCatalogEntry } from '../schemas/catalog.ts';
import type { ErrorDetail } from '../schemas/errors.ts';

/** The result of looking up the entry for one URL. */
export interface CatalogMatch {
  /** The entry whose `baseUrl` is the longest segment-boundary prefix of the URL, or null. */
  entry: ApiCatalogEntry | null;
  /** Why the catalog could not be consulted (threw, timed out); standard handling applies. */
  unavailable?: string;
  /** Entries that were skipped (did not parse, could not be fetched) — for the trace. */
  warnings?: string[];
}

export interface CatalogLookup {
  /** Finds the entry for a resolved request URL. Never rejects. */
  match(url: string): Promise<CatalogMatch>;
}

export interface CatalogLookupOptions {
  /**
   * How long to wait for the catalog (all of `getAllApis` and the `getApiEntry` calls together).
   * @default 2000
   */
  timeoutMs?: number;
}

interface LoadedCatalog {
  entries: { entry: ApiCatalogEntry; origin: string; path: string }[];
  warnings: string[];
  /** False when an entry could not be fetched: the next lookup tries again. */
  complete: boolean;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch hides the interesting part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code === undefined ? error.message : `${error.message} (${code})`;
}

/** `https://api.example.com/v1/` → origin and path without the trailing slash. */
function splitBase(baseUrl: string): { origin: string; path: string } | undefined {
  try {
    const url = new URL(baseUrl);
    return { origin: `${url.protocol}//${url.host}`, path: url.pathname.replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

/**
 * Rejects after `ms` with a message naming the operation. The timer is deliberately not unref'd: a
 * hung catalog promise does not keep the process alive, so an unref'd timer would let a CLI run exit
 * silently mid-action instead of degrading to standard handling.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

async function loadCatalog(catalog: ApiCatalog): Promise<LoadedCatalog> {
  const ids = await catalog.getAllApis();
  const warnings: string[] = [];
  let complete = true;
  const fetched = await Promise.all(
    ids.map(async (apiId) => {
      try {
        return { apiId, raw: await catalog.getApiEntry(apiId) };
      } catch (error) {
        complete = false;
        warnings.push(`catalog entry "${apiId}" could not be fetched: ${describe(error)}`);
        return { apiId, raw: null };
      }
    }),
  );
  const entries: LoadedCatalog['entries'] = [];
  for (const { apiId, raw } of fetched) {
    if (raw === null) continue;
    // Entries come from outside: parse them (this also applies the quirks defaults).
    const parsed = ApiCatalogEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      warnings.push(`catalog entry "${apiId}" was ignored: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
      continue;
    }
    const base = splitBase(parsed.data.baseUrl);
    if (base === undefined) continue;
    entries.push({ entry: parsed.data, ...base });
  }
  return { entries, warnings, complete };
}

/**
 * A lookup over an injected catalog. Entries are fetched once and cached for the lookup's lifetime;
 * a failed or timed-out load is not cached, so a catalog that recovers is used again.
 */
export function createCatalogLookup(catalog: ApiCatalog | undefined, opts: CatalogLookupOptions = {}): CatalogLookup {
  const timeoutMs = opts.timeoutMs ?? 2000;
  let cached: Promise<LoadedCatalog> | undefined;

  const load = (): Promise<LoadedCatalog> => {
    if (catalog === undefined) return Promise.resolve({ entries: [], warnings: [], complete: true });
    if (cached !== undefined) return cached;
    const attempt = withTimeout(
      Promise.resolve().then(() => loadCatalog(catalog)),
      timeoutMs,
      'the API catalog',
    );
    cached = attempt;
    attempt.then(
      (loaded) => {
        if (!loaded.complete && cached === attempt) cached = undefined;
      },
      () => {
        if (cached === attempt) cached = undefined;
      },
    );
    return attempt;
  };

  return {
    async match(url) {
      let loaded: LoadedCatalog;
      try {
        loaded = await load();
      } catch (error) {
        return { entry: null, unavailable: `API catalog unavailable (${describe(error)}); standard error handling applies` };
      }
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return { entry: null, warnings: [...loaded.warnings, `"${url}" is not a URL; no catalog entry applies`] };
      }
      const origin = `${target.protocol}//${target.host}`;
      let best: ApiCatalogEntry | null = null;
      let bestLength = -1;
      for (const candidate of loaded.entries) {
        if (candidate.origin !== origin) continue;
        const onBoundary = candidate.path === '' || target.pathname === candidate.path || target.pathname.startsWith(`${candidate.path}/`);
        if (onBoundary && candidate.path.length > bestLength) {
          best = candidate.entry;
          bestLength = candidate.path.length;
        }
      }
      const result: CatalogMatch = { entry: best };
      if (loaded.warnings.length > 0) result.warnings = [...loaded.warnings];
      return result;
    },
  };
}

/**
 * Whether a final failure should be followed by a health probe (DESIGN §5): network failures and 5xx
 * answers, where "is the API down?" is the on-call person's first question.
 */
export function needsHealthProbe(error: ErrorDetail): boolean {
  if (error.category === 'network_timeout' || error.category === 'network_connection_refused') return true;
  return error.statusCode !== undefined && error.statusCode >= 500;
}

export interface ProbeHealthOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Clock for the reported duration. @default Date.now */
  now?: () => number;
}

/**
 * Probes the entry's `healthCheck` and returns context entries for the error (`healthCheck`:
 * healthy | unhealthy | unreachable, with URL, status and duration). An absolute endpoint is used as
 * is; a relative one is resolved against `baseUrl` (`api.test` → `<baseUrl>/api.test`, `/status` →
 * the origin's `/status`). Never rejects; `{}` when the entry has no health check.
 */
export async function probeHealth(entry: ApiCatalogEntry, opts: ProbeHealthOptions = {}): Promise<Record<string, string>> {
  const check = entry.healthCheck;
  if (check === undefined) return {};
  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  let url: string;
  try {
    url = new URL(check.endpoint, entry.baseUrl.endsWith('/') ? entry.baseUrl : `${entry.baseUrl}/`).toString();
  } catch {
    return { healthCheck: 'unreachable', healthCheckError: `healthCheck.endpoint "${check.endpoint}" is not a valid URL or path` };
  }
  const context: Record<string, string> = { healthCheckUrl: url, healthCheckExpectedStatus: String(check.expectedStatus) };
  const started = now();
  const timeout = check.timeout > 0 ? check.timeout : 5000;
  try {
    const response = await doFetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeout) });
    await response.body?.cancel().catch(() => undefined);
    context.healthCheck = response.status === check.expectedStatus ? 'healthy' : 'unhealthy';
    context.healthCheckStatus = String(response.status);
  } catch (error) {
    context.healthCheck = 'unreachable';
    const name = error instanceof Error ? error.name : '';
    context.healthCheckError = name === 'TimeoutError' ? `no answer within ${timeout} ms` : describe(error);
  }
  context.healthCheckDurationMs = String(Math.max(0, now() - started));
  return context;
}
