/**
 * The real local server the fuzz test (test/fuzz.test.ts) points every generated definition at. Each
 * case sets the answers it wants (status, headers, body — any bytes — and faults: truncation, delay,
 * redirects) and whether the server echoes the credentials it received back in a header, the body,
 * a cookie or a redirect's Location, which is what a secret-leak test needs an API to do.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where the server reflects the credential headers it received. */
export type EchoMode = 'none' | 'header' | 'body' | 'cookie' | 'location';

/** One answer. The last answer of a case repeats for any further request. */
export interface FuzzAnswer {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  echo: EchoMode;
  /** Declare more bytes than sent, then drop the connection (a partial response). */
  truncate: boolean;
  /** Answer after this many ms. */
  delayMs: number;
  /** For 3xx: redirect to this server (`same`), to another origin (`cross`), or no Location at all. */
  redirect: 'same' | 'cross' | 'none';
}

export interface FuzzCase {
  answers: FuzzAnswer[];
  /** The access token `/token` hands out (oauth2 definitions). */
  accessToken: string;
  healthStatus: number;
}

export interface FuzzServer {
  url: string;
  /** The same server under another origin (`localhost` instead of 127.0.0.1). */
  otherOriginUrl: string;
  setCase(next: FuzzCase): void;
  /** Requests received by the current case, token and health requests excluded. */
  readonly requests: number;
  close(): Promise<void>;
}

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-key', 'x-client-secret', 'x-custom-auth'];

/** The credential-looking header values a request carried, for echoing. */
function received(req: IncomingMessage): string {
  return CREDENTIAL_HEADERS.flatMap((name) => {
    const value = req.headers[name];
    return typeof value === 'string' ? [value] : [];
  }).join(' ');
}

function withEcho(answer: FuzzAnswer, echo: string): { body: Uint8Array; headers: [string, string][] } {
  const headers = [...answer.headers];
  let body = answer.body;
  if (echo === '') return { body, headers };
  switch (answer.echo) {
    case 'header':
      headers.push(['x-echo', echo]);
      break;
    case 'cookie':
      headers.push(['set-cookie', `session=${echo}; HttpOnly`]);
      break;
    case 'body': {
      const text = Buffer.from(body).toString('utf8');
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          body = Buffer.from(JSON.stringify({ ...parsed, echo, message: `rejected credentials: ${echo}` }));
          break;
        }
      } catch {
        // Not JSON: append as text below.
      }
      body = Buffer.concat([Buffer.from(body), Buffer.from(` you sent: ${echo}`)]);
      break;
    }
    case 'location':
    case 'none':
      break;
  }
  return { body, headers };
}

function send(res: ServerResponse, answer: FuzzAnswer, echo: string, urls: { url: string; other: string }): void {
  const { body, headers } = withEcho(answer, echo);
  const out: [string, string][] = headers.filter(([name]) => name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'transfer-encoding');
  if (answer.status >= 300 && answer.status < 400 && answer.redirect !== 'none') {
    const base = answer.redirect === 'same' ? urls.url : urls.other;
    const query = answer.echo === 'location' && echo !== '' ? `?t=${encodeURIComponent(echo)}` : '';
    out.push(['location', `${base}/moved${query}`]);
  }
  const noBody = answer.status === 204 || answer.status === 304;
  if (!noBody) out.push(['content-length', String(body.length + (answer.truncate ? 100 : 0))]);
  try {
    res.writeHead(answer.status, out.flat());
  } catch (error) {
    // A generated header Node refuses to send: answer plainly, naming the refusal, so the case still runs.
    res.writeHead(599, { 'content-type': 'text/plain' });
    res.end(`fuzz server refused a generated header: ${(error as Error).message}`);
    return;
  }
  if (noBody) {
    res.end();
    return;
  }
  if (answer.truncate) {
    res.write(body, () => res.socket?.destroy());
    return;
  }
  res.end(body);
}

/** Starts the server on 127.0.0.1 (ephemeral port). */
export async function startFuzzServer(): Promise<FuzzServer> {
  let current: FuzzCase = { answers: [], accessToken: 'unset', healthStatus: 200 };
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: current.accessToken, token_type: 'bearer', expires_in: 3600 }));
      return;
    }
    if (path === '/health') {
      res.writeHead(current.healthStatus);
      res.end();
      return;
    }
    const answer = current.answers[Math.min(requests, current.answers.length - 1)];
    requests += 1;
    if (answer === undefined) {
      res.writeHead(500);
      res.end('no answer scripted');
      return;
    }
    const echo = received(req);
    const urls = { url: fuzz.url, other: fuzz.otherOriginUrl };
    if (answer.delayMs <= 0) {
      send(res, answer, echo, urls);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send(res, answer, echo, urls);
    }, answer.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fuzz: FuzzServer = {
    url: `http://127.0.0.1:${port}`,
    otherOriginUrl: `http://localhost:${port}`,
    setCase(next) {
      current = next;
      requests = 0;
    },
    get requests() {
      return requests;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fuzz;
}
