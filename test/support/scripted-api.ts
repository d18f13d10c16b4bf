/**
 * A real local HTTP API for executor tests (127.0.0.1, ephemeral port) that answers from a script
 * and counts what reached it: every hit, and every *effect* — a POST applied once per idempotency key
 * when it carries one, once per request when it does not. Duplicate effects are what the durability
 * tests look for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw body text instead of JSON. */
  raw?: string;
  /** Never answer (the client's deadline or a kill decides). */
  hang?: boolean;
  /** Answer after this many ms (the effect is applied on arrival, so a kill meanwhile leaves it in doubt). */
  delayMs?: number;
  /** Answer once this settles (a test holds the request in flight for exactly as long as it needs). */
  gate?: Promise<unknown>;
}

export interface Hit {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When the request arrived (epoch ms), for ordering hits of several processes. */
  at: number;
}

export interface ScriptedApi {
  url: string;
  hits: Hit[];
  /** Effects applied, by idempotency key (or `unkeyed:<n>`). */
  effects: Map<string, number>;
  /** Responses for `METHOD /path`, used in order; the last one repeats. */
  script(route: string, responses: ScriptedResponse[]): void;
  /** Called when a request arrives, before it is answered. */
  onRequest?: (hit: Hit) => void;
  hitsFor(route: string): Hit[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startScriptedApi(): Promise<ScriptedApi> {
  const scripts = new Map<string, ScriptedResponse[]>();
  const served = new Map<string, number>();
  const keyed = new Map<string, ScriptedResponse>();
  const hanging = new Set<ServerResponse>();
  const delayed = new Set<NodeJS.Timeout>();
  const api: ScriptedApi = {
    url: '',
    hits: [],
    effects: new Map(),
    script(route, responses) {
      scripts.set(route, responses);
      served.set(route, 0);
    },
    hitsFor(route) {
      const [method, path] = route.split(' ');
      return api.hits.filter((h) => h.method === method && h.path === path);
    },
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const at = Date.now();
      const hit: Hit = { method: req.method ?? 'GET', path, headers: req.headers, body: await readBody(req), at };
      api.hits.push(hit);
      api.onRequest?.(hit);
      const route = `${hit.method} ${path}`;
      const key = req.headers['idempotency-key'];
      const replay = typeof key === 'string' ? keyed.get(`${route}|${key}`) : undefined;
      let response: ScriptedResponse;
      if (replay) {
        response = replay;
      } else {
        const list = scripts.get(route) ?? [{ status: 404, body: { error: { message: `no script for ${route}` } } }];
        const index = served.get(route) ?? 0;
        served.set(route, index + 1);
        response = list[Math.min(index, list.length - 1)]!;
        if (hit.method === 'POST' && response.status < 300) {
          const effectKey = typeof key === 'string' ? `${route}|${key}` : `unkeyed:${api.hits.length}`;
          api.effects.set(effectKey, (api.effects.get(effectKey) ?? 0) + 1);
          // A replay answers, even when the first response was held back (the effect was applied).
          if (typeof key === 'string') {
            const { gate: _gate, ...settled } = response;
            keyed.set(effectKey, { ...settled, hang: false });
          }
        }
      }
      if (response.hang) {
        hanging.add(res);
        return;
      }
      const answer = (): void => {
        res.writeHead(response.status, { 'content-type': response.raw === undefined ? 'application/json' : 'text/plain', ...response.headers });
        res.end(response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body)));
      };
      if (response.gate) {
        hanging.add(res);
        void response.gate.finally(() => {
          hanging.delete(res);
          if (!res.destroyed) answer();
        });
        return;
      }
      if (!response.delayMs) {
        answer();
        return;
      }
      const timer = setTimeout(() => {
        delayed.delete(timer);
        if (!res.destroyed) answer();
      }, response.delayMs);
      delayed.add(timer);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
