/**
 * Reads a response body as a stream with bounded memory (EXEC-020): a byte cap, a SHA-256 computed
 * while streaming, and an optional sink — the body stays in memory up to `inlineLimit`, then the sink
 * receives what was buffered and every later chunk, so a body of any size holds at most
 * `inlineLimit` bytes (plus one chunk) in memory. The first bytes are always kept for the trace preview.
 */
import { createHash } from 'node:crypto';
import type { BodySink, BodySinkWriter } from '../http-types.ts';
import type { StorageLocation } from '../../schemas/storage.ts';
import type { DecodeFailure, StreamingTextCheck } from './text-decoding.ts';

/** The cap when no sink is given: everything is held in memory, so keep it modest. */
export const DEFAULT_MAX_BYTES_IN_MEMORY = 16 * 1024 * 1024;
/** The cap when a sink is given: the body goes to storage, so only disk space is at stake. */
export const DEFAULT_MAX_BYTES_WITH_SINK = 1024 * 1024 * 1024;
/** How much of a body stays in memory before it goes to the sink. */
export const DEFAULT_INLINE_LIMIT = 1024 * 1024;

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** Reading stops with `too_large` once the body passes this many bytes. */
  maxBytes: number;
  sink?: BodySink | undefined;
  /** Bytes held in memory before spilling to the sink. @default DEFAULT_INLINE_LIMIT */
  inlineLimit?: number | undefined;
  /** Passed to `sink.open`. */
  contentType: string;
  /** How many leading bytes to keep for the preview, whatever happens. */
  headBytes: number;
  /** For a body that spills: a streaming decode check (text bodies only), created at spill time. */
  textCheck?: (() => StreamingTextCheck | undefined) | undefined;
}

/** A body read to its end. */
export interface ReadBody {
  ok: true;
  size: number;
  sha256: string;
  /** The whole body, when it stayed in memory. */
  bytes?: Uint8Array;
  /** Where the sink stored it, when it spilled. */
  location?: StorageLocation;
  /** The leading bytes for the preview. */
  head: Uint8Array;
  /** For a spilled text body: the first undecodable byte, or null. */
  textFailure?: DecodeFailure | null;
}

/** A body that could not be read to its end. */
export interface UnreadBody {
  ok: false;
  /** `too_large`: the cap; `stream`: the connection or deadline (see `error`); `sink`: storage failed. */
  reason: 'too_large' | 'stream' | 'sink';
  error?: unknown;
  /** Bytes received before stopping. */
  size: number;
  head: Uint8Array;
}

/** Reads `stream` to the end (or the first failure). Never rejects. */
export async function readBody(stream: ReadableStream<Uint8Array>, options: ReadBodyOptions): Promise<ReadBody | UnreadBody> {
  const inlineLimit = options.sink === undefined ? Number.POSITIVE_INFINITY : (options.inlineLimit ?? DEFAULT_INLINE_LIMIT);
  const hash = createHash('sha256');
  const held: Uint8Array[] = [];
  const headParts: Uint8Array[] = [];
  let headSize = 0;
  let heldSize = 0;
  let size = 0;
  let writer: BodySinkWriter | undefined;
  let check: StreamingTextCheck | undefined;
  const reader = stream.getReader();

  const head = (): Uint8Array => Buffer.concat(headParts);
  const stop = async (reason: UnreadBody['reason'], error?: unknown): Promise<UnreadBody> => {
    await reader.cancel().catch(() => undefined);
    if (writer !== undefined) await writer.abort().catch(() => undefined);
    return { ok: false, reason, ...(error === undefined ? {} : { error }), size, head: head() };
  };

  for (;;) {
    let chunk: Uint8Array;
    try {
      const next = await reader.read();
      if (next.done) break;
      chunk = next.value;
    } catch (error) {
      if (writer !== undefined) await writer.abort().catch(() => undefined);
      return { ok: false, reason: 'stream', error, size, head: head() };
    }
    if (size + chunk.length > options.maxBytes) {
      size += chunk.length;
      return stop('too_large');
    }
    size += chunk.length;
    hash.update(chunk);
    if (headSize < options.headBytes) {
      const part = chunk.subarray(0, options.headBytes - headSize);
      headParts.push(Uint8Array.from(part));
      headSize += part.length;
    }
    check?.push(chunk);

    if (writer === undefined && heldSize + chunk.length <= inlineLimit) {
      held.push(chunk);
      heldSize += chunk.length;
      continue;
    }
    try {
      if (writer === undefined) {
        writer = await options.sink!.open({ contentType: options.contentType });
        check = options.textCheck?.();
        for (const part of held) {
          check?.push(part);
          await writer.write(part);
        }
        check?.push(chunk);
        held.length = 0;
        heldSize = 0;
      }
      await writer.write(chunk);
    } catch (error) {
      return stop('sink', error);
    }
  }

  const sha256 = hash.digest('hex');
  if (writer === undefined) {
    const bytes = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held);
    return { ok: true, size, sha256, bytes, head: head() };
  }
  try {
    const location = await writer.finish({ size, sha256 });
    return { ok: true, size, sha256, location, head: head(), textFailure: check?.end() ?? null };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    return { ok: false, reason: 'sink', error, size, head: head() };
  }
}
