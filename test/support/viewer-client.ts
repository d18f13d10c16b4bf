/**
 * A raw HTTP client for viewer tests, on `node:http` so a test controls every header (fetch will not
 * send a forged Host), and a reader of server-sent events that hands out one message at a time.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- responses are read as loose JSON, as JSON.parse's own result is */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => any;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends one request to 127.0.0.1:port; `Host` defaults to the viewer's own address. */
export function rawRequest(port: number, { method = 'GET', path, headers = {}, body }: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST as the viewer's own page sends it: JSON, same Origin, the session token. */
export function pagePost(port: number, path: string, token: string, payload: unknown = {}, extra: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(port, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, 'x-viewer-token': token, ...extra },
    body: JSON.stringify(payload),
  });
}

export interface SseReader {
  /** The next message (waits for it). */
  next(): Promise<{ event: string; data: any }>;
  /** Every raw byte received so far. */
  readonly raw: string;
  close(): void;
}

/** Opens an event stream and queues its messages. */
export function openSse(port: number, path: string): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const queue: { event: string; data: any }[] = [];
    const waiting: ((m: { event: string; data: any }) => void)[] = [];
    let buffer = '';
    let raw = '';
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`event stream ${path} answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          const message = { event, data: JSON.parse(data) };
          const waiter = waiting.shift();
          if (waiter) waiter(message);
          else queue.push(message);
        }
      });
      resolve({
        next: () => {
          const queued = queue.shift();
          return queued ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
        },
        get raw() {
          return raw;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}
