/**
 * One HTTP attempt, and nothing else (DESIGN §4–§5): authentication per hop, manual redirects, one
 * deadline over connect, headers and body, bounded streaming, strict decoding, the network error
 * taxonomy and a redacted trace. No retries and no status classification — the machine journals each
 * attempt and classification reads the outcome.
 *
 * `sendAttempt` resolves for everything the network or the server did; it rejects only when the
 * request itself is unusable (a URL that does not parse, a non-positive timeout, a header value that
 * cannot be sent), which is a definition or programming error, and with an InfrastructureError when
 * the body sink's storage fails (a full disk is not the server's answer).
 */
import type { Dispatcher } from 'undici';
import { actionError, isActionError, errorDetail } from '../failure/errors.ts';
import {
  bodyPreview,
  buildTraceEntry,
  DEFAULT_PREVIEW_BYTES,
  headerRecord,
  learnRequestSecrets,
  redactError,
  redactUrl,
  REDACTION_MARGIN,
} from './attempt-trace.ts';
import { sendHop, sharedHttpAgent, type HopProgress, type WireResponse } from './http-transport.ts';
import type { AttemptOutcome, AuthHook, BodySink, NetworkErrorOutcome, PreparedRequest } from './http-types.ts';
import { AttemptCancelled, AttemptDeadlineExceeded, describeNetworkFailure, type AttemptStage, type NetworkFailure } from './network-errors.ts';
import type { Redactor } from '../redaction/redaction.ts';
import { isRedirectStatus, MAX_REDIRECTS, nextRedirectHop, type HopRequest } from './redirects.ts';
import { readResponseBody } from './body/response-body.ts';
import type { ApiQuirks } from '../schemas/catalog.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';

/** Options of one attempt. */
export interface SendOptions {
  /** The attempt deadline (`endpoint.timeout`) in ms, covering connect, headers and body. */
  timeoutMs: number;
  /** Applied to the trace, to error texts and to quoted bodies. Auth header values are added to it. */
  redactor: Redactor;
  /** Adds authentication headers; called again for every same-origin redirect hop. */
  auth?: AuthHook | undefined;
  /**
   * Header names the auth hook adds (e.g. `Authenticator.headerNames()`): always redacted and never
   * sent to another origin. Names the hook actually returns are added automatically.
   */
  authHeaderNames?: Iterable<string> | undefined;
  /** The matched catalog entry's quirks (maxResponseSize, nonStandardJsonContentType, emptyResponseOn204). */
  quirks?: Partial<ApiQuirks> | undefined;
  /** Where a body larger than `inlineLimit` is streamed (EXEC-020). */
  sink?: BodySink | undefined;
  /** Bytes held in memory before a body goes to the sink. @default 1 MiB */
  inlineLimit?: number | undefined;
  /** The caller's cancel signal; aborting it ends the attempt as `user_cancelled` / CANCELLED. */
  signal?: AbortSignal | undefined;
  /** Epoch-ms clock for timestamps and durations. @default Date.now */
  now?: (() => number) | undefined;
  /** Response body bytes shown in the trace. @default 4096 */
  previewBytes?: number | undefined;
  /** The undici dispatcher (pool). @default the process-wide shared Agent */
  dispatcher?: Dispatcher | undefined;
  /** Whether an HTML page is a problem (INVALID_JSON with the HTML hint). @default true */
  expectJson?: boolean | undefined;
  /** Redirect hops followed per attempt. @default 5 */
  maxRedirects?: number | undefined;
}

/** Why an attempt could not even start: the request is unusable. */
function invalidRequest(message: string, field: string, suggestion: string): Error {
  return actionError('validation_failed', message, { code: 'INVALID_REQUEST', context: { field }, suggestion });
}

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkHeaders(headers: Record<string, string>, where: string): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw invalidRequest(`Header name ${JSON.stringify(name)} (${where}) is not a valid HTTP token.`, `headers.${name}`, 'Header names may contain letters, digits and !#$%&\'*+.^_`|~- only.');
    }
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw invalidRequest(`Header ${name} (${where}) has a value that cannot be sent: it contains a line break, a control character or a character outside Latin-1.`, `headers.${name}`, 'Remove line breaks and control characters; encode non-Latin-1 text (e.g. percent-encoding or RFC 8187).');
    }
  }
}

/** Definition headers with the auth hook's headers on top (a name set by both keeps the hook's value). */
function withAuthHeaders(base: Record<string, string>, added: Record<string, string>): Record<string, string> {
  const addedNames = new Set(Object.keys(added).map((name) => name.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (!addedNames.has(name.toLowerCase())) out[name] = value;
  return { ...out, ...added };
}

/** Settles with the promise, or with the signal's reason once it aborts (for hooks that take no signal). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function hostPort(url: URL): string {
  return `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`;
}

/** Sends one attempt of `request`. Resolves with the server's answer or the classified failure. */
export async function sendAttempt(request: PreparedRequest, options: SendOptions): Promise<AttemptOutcome> {
  let original: URL;
  try {
    original = new URL(request.url);
  } catch {
    throw invalidRequest(`${request.method} ${options.redactor.text(request.url)}: the URL does not parse.`, 'url', 'endpoint.url must be an absolute http(s) URL after its {param} placeholders are filled.');
  }
  if (original.protocol !== 'http:' && original.protocol !== 'https:') {
    throw invalidRequest(`${request.method} ${redactUrl(request.url, options.redactor)}: only http and https URLs can be requested, not ${original.protocol}.`, 'url', 'Use an http:// or https:// endpoint.url.');
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw invalidRequest(`${request.method} ${redactUrl(request.url, options.redactor)}: the attempt timeout must be a positive number of milliseconds, got ${options.timeoutMs}.`, 'endpoint.timeout', 'Set endpoint.timeout to the longest an attempt may take, e.g. 30000.');
  }
  checkHeaders(request.headers, 'of the prepared request');

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AttemptDeadlineExceeded(options.timeoutMs)), options.timeoutMs);
  const onCancel = (): void => controller.abort(new AttemptCancelled(options.signal?.reason));
  if (options.signal?.aborted) onCancel();
  else options.signal?.addEventListener('abort', onCancel, { once: true });
  try {
    return await runAttempt(request, options, original, controller.signal);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCancel);
  }
}

async function runAttempt(request: PreparedRequest, options: SendOptions, original: URL, signal: AbortSignal): Promise<AttemptOutcome> {
  const now = options.now ?? Date.now;
  const { redactor } = options;
  const attemptStart = now();
  const dispatcher = options.dispatcher ?? sharedHttpAgent();
  const previewBytes = options.previewBytes ?? DEFAULT_PREVIEW_BYTES;
  const quirks = options.quirks ?? {};
  const secretHeaders = new Set<string>([...(options.authHeaderNames ?? []), ...(request.credentialHeaders ?? [])].map((name) => name.toLowerCase()));
  const display = (url: string): string => redactUrl(url, redactor);
  learnRequestSecrets(request, secretHeaders, redactor);

  let hop: HopRequest = { method: request.method, url: original.href, headers: { ...request.headers }, body: request.body };
  const chain = [hop.url];
  const visited = new Set([`${hop.method} ${hop.url}`]);
  const redirectTraces: HttpTraceEntry[] = [];
  let onOriginalOrigin = true;

  for (;;) {
    const hopStart = now();
    const hopUrl = new URL(hop.url);
    const operation = `${hop.method} ${display(hop.url)}`;
    const progress: HopProgress = { sent: false };
    let sentHeaders = hop.headers;

    const trace = (response?: { status: number; headers: Record<string, string>; preview: string }, error?: ErrorDetail): HttpTraceEntry =>
      buildTraceEntry({
        startedAt: hopStart,
        method: hop.method,
        url: hop.url,
        requestHeaders: sentHeaders,
        requestBody: hop.body,
        secretHeaderNames: secretHeaders,
        response: response === undefined ? undefined : { ...response, durationMs: now() - hopStart },
        error,
        redactor,
      });
    const failure = (
      result: NetworkFailure,
      response?: { status: number; headers: Record<string, string>; head: Uint8Array; size: number; binary: boolean },
    ): NetworkErrorOutcome => {
      const error = redactError(result.detail, redactor);
      const outcome: NetworkErrorOutcome = {
        kind: 'network_error',
        error,
        reachedServer: result.reachedServer,
        phase: result.phase,
        durationMs: Math.max(0, now() - attemptStart),
        trace: trace(
          response && { status: response.status, headers: response.headers, preview: bodyPreview({ head: response.head, size: response.size, binary: response.binary, previewBytes, redactor }) },
          error,
        ),
      };
      if (response !== undefined) {
        outcome.status = response.status;
        outcome.headers = response.headers;
      }
      if (redirectTraces.length > 0) outcome.redirectTraces = [...redirectTraces];
      return outcome;
    };
    const describe = (error: unknown, stage: AttemptStage): NetworkFailure =>
      describeNetworkFailure({ error, stage, operation, hostPort: hostPort(hopUrl), timeoutMs: options.timeoutMs, elapsedMs: now() - attemptStart });

    // Authentication: on every hop while the attempt has stayed on its first origin.
    if (options.auth !== undefined && onOriginalOrigin) {
      let added: Record<string, string>;
      try {
        added = await untilAborted(options.auth.headers({ method: hop.method, url: hop.url }), signal);
      } catch (error) {
        if (error instanceof AttemptDeadlineExceeded) {
          const timedOut = describe(error, 'connect');
          timedOut.detail.message = `${operation}: the authentication hook did not return its headers within the ${options.timeoutMs} ms attempt deadline (endpoint.timeout). The request was not sent, so it is safe to repeat.`;
          timedOut.detail.suggestion = 'The token endpoint or custom auth handler is slow or hanging; check it, or raise endpoint.timeout.';
          return failure(timedOut);
        }
        if (error instanceof AttemptCancelled) return failure(describe(error, 'connect'));
        return failure(authHookFailure(error, operation));
      }
      for (const name of Object.keys(added)) secretHeaders.add(name.toLowerCase());
      learnRequestSecrets({ url: hop.url, headers: added }, secretHeaders, redactor);
      sentHeaders = withAuthHeaders(hop.headers, added);
      checkHeaders(sentHeaders, 'after authentication');
    }

    let response: WireResponse;
    try {
      if (signal.aborted) throw signal.reason as Error;
      response = await sendHop({ ...hop, headers: sentHeaders }, { dispatcher, signal, progress });
    } catch (error) {
      return failure(describe(error, progress.sent ? 'request' : 'connect'));
    }

    const status = response.status;
    const headers = headerRecord(response.headers);
    const location = headers.location;
    if (isRedirectStatus(status) && location !== undefined) {
      await response.body?.cancel().catch(() => undefined);
      const decision = nextRedirectHop({
        current: hop,
        status,
        location,
        chain,
        visited,
        originalOrigin: original.origin,
        credentialHeaders: secretHeaders,
        maxRedirects: options.maxRedirects ?? MAX_REDIRECTS,
        display,
      });
      if (!decision.follow) {
        const error = redactError(decision.error, redactor);
        const outcome: NetworkErrorOutcome = {
          kind: 'network_error',
          error,
          reachedServer: 'yes',
          phase: 'headers',
          durationMs: Math.max(0, now() - attemptStart),
          status,
          headers,
          trace: trace({ status, headers, preview: '' }, error),
        };
        if (redirectTraces.length > 0) outcome.redirectTraces = [...redirectTraces];
        return outcome;
      }
      redirectTraces.push(trace({ status, headers, preview: '' }));
      if (decision.crossOrigin) onOriginalOrigin = false;
      hop = decision.next;
      chain.push(hop.url);
      visited.add(`${hop.method} ${hop.url}`);
      continue;
    }

    // The final response: read and interpret its body.
    const read = await readResponseBody(response.body, {
      status,
      headers,
      operation,
      hostPort: hostPort(hopUrl),
      timeoutMs: options.timeoutMs,
      elapsedMs: () => now() - attemptStart,
      quirks,
      sink: options.sink,
      inlineLimit: options.inlineLimit,
      headBytes: previewBytes + REDACTION_MARGIN,
      expectJson: options.expectJson,
      redact: (text) => redactor.text(text),
    });
    if (!read.ok) return failure(read.failure, { status, headers, head: read.head, size: read.size, binary: read.binary });
    const body = read.body;
    if (body.problem !== undefined) body.problem = redactError(body.problem, redactor);
    const outcome: AttemptOutcome = {
      kind: 'response',
      status,
      headers,
      body,
      durationMs: Math.max(0, now() - attemptStart),
      redirects: chain.slice(1),
      trace: trace({ status, headers, preview: bodyPreview({ body, head: read.head, size: body.size, binary: body.kind === 'binary', previewBytes, redactor }) }),
    };
    if (redirectTraces.length > 0) outcome.redirectTraces = [...redirectTraces];
    return outcome;
  }
}

/** An auth hook failure as an outcome: nothing was sent. ActionErrors keep their own detail. */
function authHookFailure(error: unknown, operation: string): NetworkFailure {
  if (isActionError(error)) return { detail: error.detail, reachedServer: 'no', phase: 'connect' };
  const message = error instanceof Error ? error.message : String(error);
  return {
    detail: errorDetail('auth_invalid', `${operation}: the authentication hook failed before the request was sent: ${message}`, {
      code: 'AUTH_HOOK_FAILED',
      retryable: false,
      context: { operation },
      suggestion: 'Check the authentication configuration and the custom auth handler; the request was not sent.',
    }),
    reachedServer: 'no',
    phase: 'connect',
  };
}
