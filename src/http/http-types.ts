/**
 * The contract between request building, the HTTP attempt layer, classification and the executor.
 * Types only: one HTTP attempt goes in as a PreparedRequest and always comes back as an AttemptOutcome
 * (the attempt layer never throws for anything the network or the server did).
 */
import type { ErrorDetail } from '../schemas/errors.ts';
import type { StorageLocation } from '../schemas/storage.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Whether a failed attempt's request may have had its effect on the server (DESIGN §5):
 * `no` — provably never reached it; `maybe` — sent, fate unknown; `yes` — the server answered.
 */
export type ReachedServer = 'no' | 'maybe' | 'yes';

/** A request ready to send, before authentication. Built purely from the definition and inputs. */
export interface PreparedRequest {
  method: HttpMethod;
  /** Full URL with path placeholders filled and the query string appended. */
  url: string;
  /** Static and templated headers of the definition (no authentication headers yet). */
  headers: Record<string, string>;
  /** JSON text for POST/PUT/PATCH. */
  body?: string;
  /** Set when a header used `{idempotencyKey}`: the request is then safe to repeat. */
  idempotencyKey?: string;
  /**
   * Names of headers whose values came from `${credentials.NAME}` templates: always redacted in
   * records and never sent to another origin on a redirect.
   */
  credentialHeaders?: string[];
}

/** Adds authentication headers to one outgoing request (every attempt and same-origin redirect hop). */
export interface AuthHook {
  headers(request: { method: HttpMethod; url: string }): Promise<Record<string, string>>;
}

/** Where a large or binary body is streamed instead of being held in memory (EXEC-020). */
export interface BodySink {
  /** Called once when the body must leave memory; returns a writer for the rest of the stream. */
  open(meta: { contentType: string }): Promise<BodySinkWriter>;
}

export interface BodySinkWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Commits the stored body (atomically) and returns where it is. */
  finish(summary: { size: number; sha256: string }): Promise<StorageLocation>;
  /** Discards a partial body. */
  abort(): Promise<void>;
}

/** A response body after streaming, decoding and parsing. */
export interface ReceivedBody {
  /** Media type, lower-cased, without parameters; '' when the server sent none. */
  contentType: string;
  /** `empty` (204 / no bytes), `json` (parsed), `text` (decoded), `binary` (bytes). */
  kind: 'empty' | 'json' | 'text' | 'binary';
  size: number;
  sha256: string;
  json?: unknown;
  text?: string;
  /** The bytes, base64, when kind is binary or decoding failed (and the body is held inline). */
  base64?: string;
  /** Where the body was streamed when it did not stay in memory. */
  location?: StorageLocation;
  /**
   * A decode or parse failure (`api_response_malformed` with code INVALID_ENCODING or INVALID_JSON):
   * classification decides whether it matters (it does for 2xx, it is context for a 5xx).
   */
  problem?: ErrorDetail;
}

/** The server answered with a status and (possibly partial) headers and body. */
export interface ResponseOutcome {
  kind: 'response';
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: ReceivedBody;
  durationMs: number;
  /** URLs followed through redirects, in order (empty when none). */
  redirects: string[];
  /** The redacted record of this attempt (EXEC-013, EXEC-014). */
  trace: HttpTraceEntry;
  /** The redirect hops before `trace`, in order, each with its 3xx response (absent when none). */
  redirectTraces?: HttpTraceEntry[];
}

/** No usable HTTP response: a network, protocol, timeout or size failure (DESIGN §5 table). */
export interface NetworkErrorOutcome {
  kind: 'network_error';
  /** Category, `code` (e.g. CONNECTION_REFUSED, RESPONSE_TIMEOUT), message, retryable. */
  error: ErrorDetail;
  reachedServer: ReachedServer;
  /** Where the failure happened. */
  phase: 'connect' | 'request' | 'headers' | 'body';
  durationMs: number;
  /** Present when headers had arrived before the failure. */
  status?: number;
  headers?: Record<string, string>;
  trace: HttpTraceEntry;
  /** The redirect hops before `trace`, in order, each with its 3xx response (absent when none). */
  redirectTraces?: HttpTraceEntry[];
}

export type AttemptOutcome = ResponseOutcome | NetworkErrorOutcome;
