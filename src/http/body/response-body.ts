/**
 * The final response's body, from stream to ReceivedBody: the size cap (declared or streamed), the
 * empty cases, streaming with the sink, and interpretation — or the classified failure when the body
 * could not be read (RESPONSE_TOO_LARGE, PARTIAL_RESPONSE, RESPONSE_TIMEOUT, BODY_SINK_FAILED, …).
 * Storage failing under the sink (a full disk, an I/O error) is not such an outcome: it is thrown as an
 * InfrastructureError, so the run stops unrecorded and resumes once storage works.
 */
import { encodingProblem, interpretBody, type BodyContext } from './body-interpretation.ts';
import { DEFAULT_MAX_BYTES_IN_MEMORY, DEFAULT_MAX_BYTES_WITH_SINK, readBody, type ReadBody } from './body-reader.ts';
import type { BodySink, ReceivedBody } from '../http-types.ts';
import { bodyTreatment, parseMediaType, type BodyTreatment } from './media-type.ts';
import { bodySinkFailed, describeNetworkFailure, responseTooLarge, type NetworkFailure } from '../network-errors.ts';
import type { ApiQuirks } from '../../schemas/catalog.ts';
import { createStreamingTextCheck, findInvalidUtf8, resolveCharset, type CharsetResolution } from './text-decoding.ts';
import { InfrastructureError } from '../../failure/errors.ts';
import { storageFaultCode } from '../../failure/storage-fault.ts';

/** SHA-256 of zero bytes. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What the body reader needs to know about the response and the attempt. */
export interface ResponseBodyOptions {
  status: number;
  /** Lower-cased response headers. */
  headers: Record<string, string>;
  /** `METHOD url` for messages (redacted). */
  operation: string;
  hostPort: string;
  timeoutMs: number;
  /** Milliseconds since the attempt started. */
  elapsedMs: () => number;
  quirks: Partial<ApiQuirks>;
  sink?: BodySink | undefined;
  inlineLimit?: number | undefined;
  /** Leading bytes kept for the preview. */
  headBytes: number;
  expectJson?: boolean | undefined;
  redact: (text: string) => string;
}

/** The body, or why it could not be read (with what had arrived, for the trace). */
export type ResponseBodyResult =
  | { ok: true; body: ReceivedBody; head: Uint8Array }
  | { ok: false; failure: NetworkFailure; head: Uint8Array; size: number; binary: boolean };

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Kind of a spilled body without a declared type, judged from its first bytes. */
function sniffHead(head: Uint8Array): ReceivedBody['kind'] {
  const bad = findInvalidUtf8(head);
  // An error in the last 3 bytes may just be a character cut by the end of the head.
  if ((bad >= 0 && bad < head.length - 3) || head.includes(0)) return 'binary';
  const start = new TextDecoder().decode(head).trimStart();
  return start.startsWith('{') || start.startsWith('[') ? 'json' : 'text';
}

/** The ReceivedBody of a body read to its end, in memory or spilled to the sink. */
function receivedBody(read: ReadBody, treatment: BodyTreatment, contentType: string, context: BodyContext, charset: CharsetResolution): ReceivedBody {
  if (read.bytes !== undefined) return { ...interpretBody(read.bytes, context), size: read.size, sha256: read.sha256 };
  // A spilled body is not parsed (that would need it in memory); its encoding was checked while streaming.
  const kind = treatment === 'sniff' ? sniffHead(read.head) : treatment;
  const body: ReceivedBody = { contentType, kind, size: read.size, sha256: read.sha256 };
  if (read.location !== undefined) body.location = read.location;
  if (read.textFailure != null || (!charset.ok && (kind === 'json' || kind === 'text'))) {
    body.problem = encodingProblem(context, {
      charset: charset.ok ? charset.encoding : charset.label,
      failure: read.textFailure ?? null,
      byte: read.textFailure == null ? undefined : read.head[read.textFailure.offset],
      size: read.size,
      unsupported: !charset.ok,
      kept: `in storage at ${read.location?.path ?? 'the sink'}`,
    });
  }
  return body;
}

/** The sink's storage failed: the executor's fault, thrown instead of becoming the attempt's outcome. */
function storageFailed(options: ResponseBodyOptions, size: number, code: string, error: unknown): InfrastructureError {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  const reason = message.includes(code) ? message : `${code}: ${message}`;
  return new InfrastructureError(
    `${options.operation}: the server answered ${options.status}, but storing its body failed after ${size} bytes (${options.redact(reason)}). This is the executor's storage failing, not the action: the run stopped without recording a result and resumes once storage works (free space, fix the storage directory's permissions).`,
    { cause: error },
  );
}

/**
 * Reads and interprets the final response's body. The cap is `quirks.maxResponseSize`, else
 * DEFAULT_MAX_BYTES_IN_MEMORY without a sink and DEFAULT_MAX_BYTES_WITH_SINK with one. Rejects only
 * with an InfrastructureError, when the sink's storage fails (see storage-fault.ts).
 */
export async function readResponseBody(stream: ReadableStream<Uint8Array> | null, options: ResponseBodyOptions): Promise<ResponseBodyResult> {
  const { status, headers, quirks } = options;
  const media = parseMediaType(headers['content-type']);
  const treatment = bodyTreatment(media, quirks);
  const contentLength = parseContentLength(headers['content-length']);
  const context: BodyContext = { contentTypeHeader: headers['content-type'] ?? null, status, operation: options.operation, quirks, expectJson: options.expectJson, redact: options.redact };
  const failInput = () => ({ operation: options.operation, hostPort: options.hostPort, timeoutMs: options.timeoutMs, elapsedMs: options.elapsedMs(), status, contentLength });

  if (stream === null || (status === 204 && (quirks.emptyResponseOn204 ?? true))) {
    await stream?.cancel().catch(() => undefined);
    return { ok: true, body: { contentType: media.essence, kind: 'empty', size: 0, sha256: EMPTY_SHA256 }, head: new Uint8Array() };
  }

  const limit = quirks.maxResponseSize ?? (options.sink === undefined ? DEFAULT_MAX_BYTES_IN_MEMORY : DEFAULT_MAX_BYTES_WITH_SINK);
  const source = quirks.maxResponseSize !== undefined
    ? 'quirks.maxResponseSize'
    : options.sink === undefined ? 'the default for bodies held in memory' : 'the default for bodies streamed to storage';
  if (contentLength !== undefined && contentLength > limit) {
    await stream.cancel().catch(() => undefined);
    return { ok: false, failure: responseTooLarge(failInput(), { limit, source, declared: contentLength }), head: new Uint8Array(), size: 0, binary: treatment === 'binary' };
  }

  const charset = resolveCharset(media.charset);
  const read = await readBody(stream, {
    maxBytes: limit,
    sink: options.sink,
    inlineLimit: options.inlineLimit,
    contentType: media.essence === '' ? 'application/octet-stream' : media.essence,
    headBytes: options.headBytes,
    textCheck: () => ((treatment === 'json' || treatment === 'text') && charset.ok ? createStreamingTextCheck(charset.encoding) : undefined),
  });
  if (read.ok) return { ok: true, body: receivedBody(read, treatment, media.essence, context, charset), head: read.head };

  if (read.reason === 'sink') {
    const code = storageFaultCode(read.error);
    if (code !== undefined) throw storageFailed(options, read.size, code, read.error);
  }
  const received = { ...failInput(), bytesReceived: read.size };
  const failure = read.reason === 'too_large'
    ? responseTooLarge(received, { limit, source })
    : read.reason === 'sink'
      ? bodySinkFailed({ ...received, error: read.error })
      : describeNetworkFailure({ ...received, error: read.error, stage: 'body' });
  return { ok: false, failure, head: read.head, size: read.size, binary: treatment === 'binary' };
}
