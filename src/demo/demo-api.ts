/**
 * The demo's local API (127.0.0.1): realistic faults on purpose, and counters so the demo can prove
 * what reached it. Each route fails the way real third-party APIs do:
 *
 * - GET  /users/:id      503 on the first request for an id, then 200 JSON
 * - GET  /orders         429 with Retry-After: 1 on the first request, then 200 JSON
 * - GET  /report         200 with an HTML error page (a misconfigured gateway)
 * - GET  /search         answers only after 2 s (slower than the action's timeout)
 * - POST /payments       honours Idempotency-Key: the first request for a key gets 503 (not
 *                        processed), later ones create the payment once and replay it after that
 * - POST /customers/:id/orders   honours Idempotency-Key: creates the order once per key, replays it
 * - POST /notifications  needs X-Api-Key; the first one gets 503 (the mail template service is
 *                        restarting), later ones are queued
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface DemoApiStats {
  requests: Record<string, number>;
  /** Payments created, by idempotency key: more than 1 for a key would be a duplicate effect. */
  paymentsCreated: Record<string, number>;
  /** Orders created, by idempotency key (the plan demo). */
  ordersCreated: Record<string, number>;
  /** Notifications queued (the plan demo). */
  notificationsQueued: number;
}

export interface DemoApi {
  url: string;
  port: number;
  stats: DemoApiStats;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startDemoApi(options: { port?: number; slowMs?: number } = {}): Promise<DemoApi> {
  const stats: DemoApiStats = { requests: {}, paymentsCreated: {}, ordersCreated: {}, notificationsQueued: 0 };
  const orders = new Map<string, { orderId: string; status: string; amount: number; links: { self: string } }>();
  let notificationsSeen = 0;
  const usersSeen = new Set<string>();
  const payments = new Map<string, { id: string; amount: number; currency: string }>();
  const keysSeen = new Set<string>();
  let ordersSeen = 0;
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const route = `${req.method} ${url.pathname.replace(/\/users\/[^/]+$/, '/users/:id').replace(/^\/customers\/[^/]+\/orders$/, '/customers/:id/orders')}`;
      stats.requests[route] = (stats.requests[route] ?? 0) + 1;

      const user = /^\/users\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && user?.[1]) {
        const id = decodeURIComponent(user[1]);
        if (!usersSeen.has(id)) {
          usersSeen.add(id);
          json(res, 503, { error: { message: 'upstream database is restarting' } });
          return;
        }
        json(res, 200, { id, name: 'Ada Lovelace', email: 'ada@example.com', createdAt: '2024-05-01T09:00:00Z', plan: { tier: 'pro' } });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/orders') {
        ordersSeen += 1;
        if (ordersSeen === 1) {
          json(res, 429, { message: 'Too many requests' }, { 'retry-after': '1' });
          return;
        }
        json(res, 200, { orders: [{ id: 'ord_1', total: 42 }], count: 1 });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/report') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/search') {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          json(res, 200, { results: [] });
        }, options.slowMs ?? 2000);
        pendingTimers.add(timer);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/payments') {
        const body = JSON.parse((await readBody(req)) || '{}') as { amount?: number; currency?: string };
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string' || key === '') {
          json(res, 400, { error: { message: 'Idempotency-Key header is required' } });
          return;
        }
        const existing = payments.get(key);
        if (existing) {
          json(res, 201, existing, { 'idempotent-replayed': 'true' });
          return;
        }
        if (!keysSeen.has(key)) {
          keysSeen.add(key);
          json(res, 503, { error: { message: 'payment processor unavailable, nothing was charged' } }, { 'retry-after': '2' });
          return;
        }
        const payment = { id: `pay_${payments.size + 1}`, amount: Number(body.amount ?? 0), currency: String(body.currency ?? 'EUR') };
        payments.set(key, payment);
        stats.paymentsCreated[key] = (stats.paymentsCreated[key] ?? 0) + 1;
        json(res, 201, payment);
        return;
      }
      const customer = /^\/customers\/([^/]+)\/orders$/.exec(url.pathname);
      if (req.method === 'POST' && customer?.[1]) {
        const body = JSON.parse((await readBody(req)) || '{}') as { amount?: number };
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string' || key === '') {
          json(res, 400, { error: { message: 'Idempotency-Key header is required' } });
          return;
        }
        const existing = orders.get(key);
        if (existing) {
          json(res, 201, existing, { 'idempotent-replayed': 'true' });
          return;
        }
        const orderId = `ord_${orders.size + 1}`;
        const order = { orderId, status: 'pending', amount: Number(body.amount ?? 0), links: { self: `http://127.0.0.1/orders/${orderId}` } };
        orders.set(key, order);
        stats.ordersCreated[key] = (stats.ordersCreated[key] ?? 0) + 1;
        json(res, 201, order);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/notifications') {
        await readBody(req);
        if (typeof req.headers['x-api-key'] !== 'string') {
          json(res, 401, { error: { message: 'invalid api key' } });
          return;
        }
        notificationsSeen += 1;
        if (notificationsSeen === 1) {
          json(res, 503, { error: { message: 'mail template service is restarting' } });
          return;
        }
        stats.notificationsQueued += 1;
        json(res, 202, { notificationId: randomUUID(), queuedAt: new Date().toISOString(), status: 'queued' });
        return;
      }
      json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(error) } });
    });
  });

  const port = await new Promise<number>((resolvePort, reject) => {
    const tryListen = (wanted: number): void => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE' && wanted !== 0) tryListen(0);
        else reject(error);
      });
      server.listen(wanted, '127.0.0.1', () => resolvePort((server.address() as AddressInfo).port));
    };
    tryListen(options.port ?? 4010);
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
