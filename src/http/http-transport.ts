/**
 * The wire under one HTTP hop: ky 1 (the house client, with its retries, timeout and redirects all
 * off, because the executor owns each of those) running on undici 7's `fetch` and `Agent`, so the
 * errors carry undici's own codes, the Agent's pool gives keep-alive and a connect timeout, and a
 * dispatch interceptor tells us how far each request got — which is what decides whether a failed
 * request may have reached the server.
 */
import type { LookupFunction } from 'node:net';
import ky from 'ky';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import type { HttpMethod } from './http-types.ts';

/** Options of {@link createHttpAgent}. */
export interface HttpAgentOptions {
  /**
   * undici's own TCP/TLS connect timeout. The attempt deadline also covers connecting and is more
   * precise (undici's timer has roughly one-second resolution), so this is only an outer bound.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept. @default 4000 */
  keepAliveTimeoutMs?: number;
  /** Connections per origin. @default 16 */
  connections?: number;
  /** A DNS lookup replacing `dns.lookup` (e.g. a resolver with its own servers). */
  lookup?: LookupFunction;
}

/** Creates an undici Agent for attempts: pooled keep-alive connections and a connect timeout. */
export function createHttpAgent(options: HttpAgentOptions = {}): Agent {
  return new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000, ...(options.lookup ? { lookup: options.lookup } : {}) },
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connections: options.connections ?? 16,
    // The attempt deadline is the one timeout; undici's 300 s defaults must never fire first.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

let sharedAgent: Agent | undefined;

/** The process-wide Agent used when a caller does not pass its own, created on first use. */
export function sharedHttpAgent(): Agent {
  sharedAgent ??= createHttpAgent();
  return sharedAgent;
}

/** How far one request got, set from undici's dispatch callbacks. */
export interface HopProgress {
  /** A connection was established and the request was handed to it (the request may be on the wire). */
  sent: boolean;
}

/** Wraps a dispatcher so the request's progress is recorded; the pool underneath is shared. */
function trackingDispatcher(base: Dispatcher, progress: HopProgress): Dispatcher {
  return base.compose((dispatch) => (options, handler) =>
    dispatch(options, {
      onRequestStart(controller, context: unknown) {
        progress.sent = true;
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade(controller, statusCode, headers, socket) {
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
      },
      onResponseStart(controller, statusCode, headers, statusMessage) {
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData(controller, chunk) {
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd(controller, trailers) {
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError(controller, error) {
        handler.onResponseError?.(controller, error);
      },
    }),
  );
}

/** One hop's request as it goes on the wire. */
export interface WireRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** What {@link sendHop} returns: the response with its body still unread. */
export interface WireResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

/**
 * Sends one request and resolves when its headers arrive. Rejects with undici's error (or the
 * signal's reason) — the caller classifies it with `progress`.
 */
export async function sendHop(
  request: WireRequest,
  options: { dispatcher: Dispatcher; signal: AbortSignal; progress: HopProgress },
): Promise<WireResponse> {
  const dispatcher = trackingDispatcher(options.dispatcher, options.progress);
  // ky builds a global Request, which undici 7's fetch does not accept as input (it is Node's bundled
  // undici class), so the adapter hands the parts over; the signal is ours, so its reason is too.
  const fetchOverUndici = async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    const wire = input instanceof Request ? input : new Request(input, init);
    const body = wire.body === null ? undefined : new Uint8Array(await wire.arrayBuffer());
    const response = await undiciFetch(wire.url, {
      method: wire.method,
      headers: [...wire.headers],
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      signal: options.signal,
      dispatcher,
    });
    // undici 7's Response and Node's global one are different classes with the same shape.
    return response;
  };
  const client = ky.create({ fetch: fetchOverUndici, retry: 0, throwHttpErrors: false, timeout: false, redirect: 'manual' });
  const response = await client(request.url, {
    method: request.method,
    headers: request.headers,
    signal: options.signal,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return { status: response.status, headers: response.headers, body: response.body };
}
