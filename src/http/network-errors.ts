/**
 * The network and protocol error taxonomy of DESIGN §5: an undici failure (or our own deadline or
 * cancellation) becomes an ErrorDetail with a `code`, a category, a retryability verdict and whether
 * the request may have reached the server, which decides if a non-idempotent request may be repeated.
 * Pure: the attempt layer says how far the request got; this module only reads the error.
 */
import { errorDetail } from '../failure/errors.ts';
import type { NetworkErrorOutcome, ReachedServer } from './http-types.ts';
import type { ErrorCategory, ErrorDetail } from '../schemas/errors.ts';

/** The attempt deadline (`endpoint.timeout`) fired; used as the AbortSignal reason. */
export class AttemptDeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`attempt deadline of ${timeoutMs} ms exceeded`);
    this.name = 'AttemptDeadlineExceeded';
  }
}

/** The caller's signal aborted the attempt (a user cancel); used as the AbortSignal reason. */
export class AttemptCancelled extends Error {
  constructor(readonly reason?: unknown) {
    super('attempt cancelled by the caller');
    this.name = 'AttemptCancelled';
  }
}

/** One row of the taxonomy: what every error of this code is. */
export interface NetworkErrorRow {
  category: ErrorCategory;
  retryable: boolean;
  reachedServer: ReachedServer;
}

/**
 * DESIGN §5's network table, plus four codes it does not list (marked): HOST_UNREACHABLE and TLS_ERROR
 * (connect-phase failures other than refusal), NETWORK_ERROR (an error undici did not classify) and
 * CANCELLED (the caller aborted).
 */
export const NETWORK_ERROR_TABLE = {
  DNS_NOT_FOUND: { category: 'network_connection_refused', retryable: false, reachedServer: 'no' },
  DNS_TEMPORARY: { category: 'network_connection_refused', retryable: true, reachedServer: 'no' },
  CONNECTION_REFUSED: { category: 'network_connection_refused', retryable: true, reachedServer: 'no' },
  CONNECT_TIMEOUT: { category: 'network_timeout', retryable: true, reachedServer: 'no' },
  REQUEST_TIMEOUT: { category: 'network_timeout', retryable: true, reachedServer: 'maybe' },
  RESPONSE_TIMEOUT: { category: 'network_timeout', retryable: true, reachedServer: 'yes' },
  CONNECTION_RESET: { category: 'network_connection_refused', retryable: true, reachedServer: 'maybe' },
  PARTIAL_RESPONSE: { category: 'api_response_malformed', retryable: true, reachedServer: 'yes' },
  PROTOCOL_ERROR: { category: 'api_response_malformed', retryable: false, reachedServer: 'maybe' },
  RESPONSE_TOO_LARGE: { category: 'api_response_malformed', retryable: false, reachedServer: 'yes' },
  // Not in the DESIGN table:
  HOST_UNREACHABLE: { category: 'network_connection_refused', retryable: true, reachedServer: 'no' },
  TLS_ERROR: { category: 'network_connection_refused', retryable: false, reachedServer: 'no' },
  NETWORK_ERROR: { category: 'network_connection_refused', retryable: true, reachedServer: 'maybe' },
} as const satisfies Record<string, NetworkErrorRow>;

export type NetworkErrorCode = keyof typeof NETWORK_ERROR_TABLE | 'CANCELLED' | 'BODY_SINK_FAILED';

/** How far the request got when it failed, from undici's dispatch callbacks. */
export type AttemptStage = 'connect' | 'request' | 'body';

/** What the attempt layer knows when a request fails. */
export interface NetworkFailureInput {
  error: unknown;
  stage: AttemptStage;
  /** `METHOD url`, already redacted. */
  operation: string;
  /** `host:port` the request was for. */
  hostPort: string;
  timeoutMs: number;
  elapsedMs: number;
  status?: number | undefined;
  bytesReceived?: number | undefined;
  contentLength?: number | undefined;
}

/** The classified failure: the ErrorDetail, the retry-safety verdict and the phase for the outcome. */
export interface NetworkFailure {
  detail: ErrorDetail;
  reachedServer: ReachedServer;
  phase: NetworkErrorOutcome['phase'];
}

interface Cause {
  code: string | undefined;
  name: string;
  message: string;
  syscall: string | undefined;
  hostname: string | undefined;
}

/** Every error in the cause chain (and inside AggregateErrors), outermost first. */
function causes(error: unknown): Cause[] {
  const out: Cause[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 8) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const str = (key: string): string | undefined => (typeof record[key] === 'string' ? record[key] : undefined);
    out.push({
      code: str('code'),
      name: str('name') ?? 'Error',
      message: str('message') ?? '',
      syscall: str('syscall'),
      hostname: str('hostname'),
    });
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return out;
}

const DNS_NOT_FOUND = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);
const DNS_TEMPORARY = new Set(['EAI_AGAIN', 'EAI_FAIL', 'ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TLS = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** A DNS error comes from the resolver (getaddrinfo or a c-ares query), not from a socket. */
function isDnsCause(cause: Cause): boolean {
  return cause.syscall === 'getaddrinfo' || (cause.syscall?.startsWith('query') ?? false) || cause.hostname !== undefined;
}

/** The innermost cause with a code (what a person greps for), rendered `CODE: message`. */
function describeCause(list: Cause[]): { code: string; text: string } {
  const withCode = [...list].reverse().find((c) => c.code !== undefined) ?? list[list.length - 1];
  if (withCode === undefined) return { code: 'unknown', text: 'unknown error' };
  const code = withCode.code ?? withCode.name;
  return { code, text: withCode.message === '' ? code : `${code}: ${withCode.message}` };
}

function build(
  code: NetworkErrorCode,
  row: NetworkErrorRow,
  input: Omit<NetworkFailureInput, 'error' | 'stage'>,
  phase: NetworkErrorOutcome['phase'],
  message: string,
  suggestion: string,
  extra: Record<string, string> = {},
): NetworkFailure {
  const context: Record<string, string> = {
    operation: input.operation,
    host: input.hostPort,
    phase,
    reachedServer: row.reachedServer,
    elapsedMs: String(Math.round(input.elapsedMs)),
    timeoutMs: String(input.timeoutMs),
    ...extra,
  };
  if (input.status !== undefined) context.status = String(input.status);
  if (input.bytesReceived !== undefined) context.bytesReceived = String(input.bytesReceived);
  if (input.contentLength !== undefined) context.contentLength = String(input.contentLength);
  return {
    detail: errorDetail(row.category, `${input.operation}: ${message}`, {
      code,
      statusCode: input.status,
      retryable: row.retryable,
      context,
      suggestion,
    }),
    reachedServer: row.reachedServer,
    phase,
  };
}

const NOT_SENT = 'The request was not sent, so it is safe to repeat.';
const MAYBE_SENT = 'The request was sent; the server may or may not have acted on it.';

function received(input: Pick<NetworkFailureInput, 'bytesReceived' | 'contentLength'>): string {
  const bytes = input.bytesReceived ?? 0;
  return input.contentLength === undefined ? `${bytes} bytes` : `${bytes} of ${input.contentLength} promised bytes`;
}

/** Classifies a failed request per DESIGN §5. Never throws, whatever `error` is. */
export function describeNetworkFailure(input: NetworkFailureInput): NetworkFailure {
  const { stage, timeoutMs } = input;
  const bodyPhase = stage === 'body';
  const list = causes(input.error);
  const cause = describeCause(list);
  const causeContext = { causeCode: cause.code, cause: cause.text };
  const has = (set: ReadonlySet<string>, where: (c: Cause) => boolean = () => true): boolean =>
    list.some((c) => c.code !== undefined && set.has(c.code) && where(c));
  const status = input.status === undefined ? '' : ` ${input.status}`;

  const deadline = input.error instanceof AttemptDeadlineExceeded || list.some((c) => c.name === 'AttemptDeadlineExceeded');
  if (deadline || has(new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']))) {
    const limit = deadline ? `the ${timeoutMs} ms attempt deadline (endpoint.timeout)` : `undici's own timeout (${cause.code})`;
    const extra = deadline ? { deadline: 'attempt' } : causeContext;
    if (has(new Set(['UND_ERR_BODY_TIMEOUT'])) || (deadline && bodyPhase)) {
      return build('RESPONSE_TIMEOUT', NETWORK_ERROR_TABLE.RESPONSE_TIMEOUT, input, 'body',
        `the server answered${status} but the body did not finish within ${limit}; received ${received(input)}.`,
        'The server is slow to send this body. Raise endpoint.timeout if large responses are expected, or ask the API for smaller pages.', extra);
    }
    if (has(new Set(['UND_ERR_HEADERS_TIMEOUT'])) || (deadline && stage === 'request')) {
      return build('REQUEST_TIMEOUT', NETWORK_ERROR_TABLE.REQUEST_TIMEOUT, input, 'request',
        `no response headers within ${limit}. ${MAYBE_SENT}`,
        'The server accepted the connection but did not answer in time. Check the API status page, raise endpoint.timeout for slow endpoints, or declare an Idempotency-Key header so a retry is safe.', extra);
    }
    return build('CONNECT_TIMEOUT', NETWORK_ERROR_TABLE.CONNECT_TIMEOUT, input, 'connect',
      `could not connect to ${input.hostPort} within ${limit}. ${NOT_SENT}`,
      'The host did not accept the TCP connection in time: check the host and port, firewalls, and whether the service is overloaded.', extra);
  }

  if (input.error instanceof AttemptCancelled || list.some((c) => c.name === 'AttemptCancelled')) {
    const reachedServer: ReachedServer = stage === 'connect' ? 'no' : stage === 'request' ? 'maybe' : 'yes';
    const when = stage === 'connect' ? 'before the request was sent' : stage === 'request' ? 'after the request was sent, before the response arrived' : 'while the response body was being read';
    return build('CANCELLED', { category: 'user_cancelled', retryable: false, reachedServer },
      input, stage === 'body' ? 'body' : stage, `cancelled by the caller ${when}.`,
      reachedServer === 'no' ? 'Nothing was sent; run the action again when wanted.' : 'The server may have acted on the request; check before running it again.');
  }

  if (list.some((c) => (c.code?.startsWith('HPE_') ?? false) || c.name === 'HTTPParserError' || c.code === 'UND_ERR_HEADERS_OVERFLOW')) {
    return build('PROTOCOL_ERROR', NETWORK_ERROR_TABLE.PROTOCOL_ERROR, input, bodyPhase ? 'body' : 'headers',
      `the reply from ${input.hostPort} is not valid HTTP/1.1 (${cause.text}).`,
      'Something other than an HTTP server answered (a TLS port spoken to over http://, an SSH or database port, a broken proxy), or the server sent a malformed response. Check the URL scheme and port.', causeContext);
  }

  if (!bodyPhase && has(DNS_NOT_FOUND, isDnsCause)) {
    const host = list.find((c) => c.hostname !== undefined)?.hostname ?? input.hostPort;
    return build('DNS_NOT_FOUND', NETWORK_ERROR_TABLE.DNS_NOT_FOUND, input, 'connect',
      `DNS lookup of "${host}" found no such host (${cause.code}). ${NOT_SENT}`,
      'Check the host name in endpoint.url (spelling, environment-specific domains). Retrying will not help until DNS has a record for it.', causeContext);
  }
  if (!bodyPhase && has(DNS_TEMPORARY, isDnsCause)) {
    const host = list.find((c) => c.hostname !== undefined)?.hostname ?? input.hostPort;
    return build('DNS_TEMPORARY', NETWORK_ERROR_TABLE.DNS_TEMPORARY, input, 'connect',
      `DNS lookup of "${host}" failed temporarily (${cause.code}): the resolver did not give an answer. ${NOT_SENT}`,
      'The DNS resolver is failing or unreachable; a retry usually succeeds. If it persists, check the resolver configuration of this host.', causeContext);
  }
  if (!bodyPhase && has(new Set(['ECONNREFUSED']))) {
    return build('CONNECTION_REFUSED', NETWORK_ERROR_TABLE.CONNECTION_REFUSED, input, 'connect',
      `connection refused by ${input.hostPort}: nothing is listening there (ECONNREFUSED). ${NOT_SENT}`,
      'Check the host and port in endpoint.url and whether the service is running.', causeContext);
  }
  if (!bodyPhase && has(new Set(['ETIMEDOUT'])) && stage === 'connect') {
    return build('CONNECT_TIMEOUT', NETWORK_ERROR_TABLE.CONNECT_TIMEOUT, input, 'connect',
      `could not connect to ${input.hostPort}: the operating system gave up (ETIMEDOUT). ${NOT_SENT}`,
      'The host did not accept the TCP connection: check the host and port, firewalls, and whether the service is overloaded.', causeContext);
  }
  if (!bodyPhase && has(UNREACHABLE)) {
    return build('HOST_UNREACHABLE', NETWORK_ERROR_TABLE.HOST_UNREACHABLE, input, 'connect',
      `${input.hostPort} is unreachable from this machine (${cause.code}). ${NOT_SENT}`,
      'There is no network route to the host: check network connectivity, VPNs and firewall rules.', causeContext);
  }
  if (!bodyPhase && list.some((c) => c.code !== undefined && TLS.test(c.code))) {
    return build('TLS_ERROR', NETWORK_ERROR_TABLE.TLS_ERROR, input, 'connect',
      `the TLS handshake with ${input.hostPort} failed (${cause.text}). ${NOT_SENT}`,
      "The server's certificate was not accepted: check the host name, the certificate chain, and the clock of this machine.", causeContext);
  }
  if (has(new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH'])) || (bodyPhase && (has(DROPPED) || list.some((c) => c.message === 'terminated')))) {
    return build('PARTIAL_RESPONSE', NETWORK_ERROR_TABLE.PARTIAL_RESPONSE, input, 'body',
      `the response body ended early: received ${received(input)} before the connection dropped (${cause.text}). The server did answer${status}.`,
      'The connection dropped mid-response (server crash, proxy timeout, network blip). A retry usually succeeds; the request reached the server, so repeat it only if it is idempotent.', causeContext);
  }
  if (has(DROPPED)) {
    return build('CONNECTION_RESET', NETWORK_ERROR_TABLE.CONNECTION_RESET, input, stage === 'connect' ? 'connect' : 'request',
      `the connection to ${input.hostPort} was closed before response headers arrived (${cause.text}). ${MAYBE_SENT}`,
      'The server or a proxy dropped the connection (crash, restart, idle timeout). A retry usually succeeds; declare an Idempotency-Key header so non-idempotent requests can be repeated safely.', causeContext);
  }
  const row = bodyPhase ? { ...NETWORK_ERROR_TABLE.NETWORK_ERROR, reachedServer: 'yes' as const } : NETWORK_ERROR_TABLE.NETWORK_ERROR;
  return build('NETWORK_ERROR', row, input, bodyPhase ? 'body' : stage,
    `the request failed with an unclassified error (${cause.text}).`,
    'This failure is not in the network error table; the cause is in the error context. Please report it so it can be classified.', causeContext);
}

/** RESPONSE_TOO_LARGE: the body passed the cap, which names where the limit came from. */
export function responseTooLarge(
  input: Omit<NetworkFailureInput, 'error' | 'stage'>,
  cap: { limit: number; source: string; declared?: number | undefined },
): NetworkFailure {
  const what = cap.declared !== undefined
    ? `the server declared a ${cap.declared}-byte body (Content-Length)`
    : `the body passed ${cap.limit} bytes`;
  return build('RESPONSE_TOO_LARGE', NETWORK_ERROR_TABLE.RESPONSE_TOO_LARGE, input, 'body',
    `${what}, over the ${cap.limit}-byte limit (${cap.source}); reading stopped there.`,
    'Ask the API for less (pagination, filters), or raise the limit with the catalog quirk maxResponseSize; with a storage sink, large bodies are streamed to disk instead of memory.',
    { limit: String(cap.limit), limitSource: cap.source });
}

/**
 * BODY_SINK_FAILED: the response arrived but the sink refused its body for a reason that is not a
 * storage fault (those are thrown as InfrastructureError by response-body.ts): a bug in a custom sink.
 */
export function bodySinkFailed(input: Omit<NetworkFailureInput, 'stage'>): NetworkFailure {
  const cause = describeCause(causes(input.error));
  return build('BODY_SINK_FAILED', { category: 'state_inconsistent', retryable: false, reachedServer: 'yes' }, input, 'body',
    `the server answered${input.status === undefined ? '' : ` ${input.status}`} but its body could not be stored (${cause.text}); received ${received(input)}.`,
    'The body sink failed without a storage error (a full disk or an I/O error would have stopped the run for a resume instead); check the sink implementation. The request reached the server, so check whether repeating it is safe.',
    { causeCode: cause.code, cause: cause.text });
}
