/**
 * The viewer's routes, as a table features add to (docs/viewer.md "Adding a page"): the executions
 * pages and API, the inspector, and later the plans pages register here. The server applies the
 * security checks by method before any handler runs — every POST needs the session token — so a
 * route added later cannot forget them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteMethod = 'GET' | 'POST';

/** What a handler gets: the request, the response, the parsed URL and the `:name` path parameters. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Readonly<Record<string, string>>;
}

export type RouteHandler = (context: RouteContext) => Promise<void> | void;

export interface Route {
  method: RouteMethod;
  /** `/api/executions/:executionId/:actionId`: `:name` matches one non-empty, URL-decoded segment. */
  path: string;
  handler: RouteHandler;
}

export type RouteLookup = { route: Route; params: Record<string, string> } | { methodNotAllowed: RouteMethod[] } | undefined;

const segmentsOf = (path: string): string[] => path.split('/').filter((s) => s.length > 0);

export class RouteTable {
  readonly #routes: Route[] = [];

  /** Adds a route; a second route with the same method and shape is a programming error. */
  add(method: RouteMethod, path: string, handler: RouteHandler): this {
    const shape = segmentsOf(path).map((s) => (s.startsWith(':') ? ':' : s)).join('/');
    if (this.#routes.some((r) => r.method === method && segmentsOf(r.path).map((s) => (s.startsWith(':') ? ':' : s)).join('/') === shape)) {
      throw new Error(`viewer route ${method} ${path} is already registered`);
    }
    this.#routes.push({ method, path, handler });
    return this;
  }

  get routes(): readonly Route[] {
    return this.#routes;
  }

  /** The route for a request, `methodNotAllowed` when only other methods match, else undefined. */
  match(method: string, pathname: string): RouteLookup {
    const parts = segmentsOf(pathname);
    const allowed: RouteMethod[] = [];
    for (const route of this.#routes) {
      const params = matchPath(segmentsOf(route.path), parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { methodNotAllowed: allowed } : undefined;
  }
}

function matchPath(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of pattern.entries()) {
    const part = parts[i] ?? '';
    if (segment.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if (decoded.length === 0) return undefined;
      params[segment.slice(1)] = decoded;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}
