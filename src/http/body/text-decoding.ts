/**
 * Strict text decoding (DESIGN §4, edge case 7): a body is decoded with `TextDecoder` in `fatal` mode
 * in its declared charset, and when that fails we say exactly which byte is wrong. `TextDecoder` does
 * not report the offset, so UTF-8 (nearly every API) has its own validator, which also works on a
 * stream for bodies too large to hold; other charsets are located by bisection. Pure.
 */

/** The first undecodable byte of a body. */
export interface DecodeFailure {
  /** 0-based byte offset of the first byte of the ill-formed sequence. */
  offset: number;
  /** False when only the chunk is known (a streamed body in a charset other than UTF-8). */
  exact: boolean;
}

/** A charset label resolved to the WHATWG encoding `TextDecoder` will use, or why it cannot. */
export type CharsetResolution = { ok: true; encoding: string } | { ok: false; label: string };

/**
 * Resolves a declared charset the way browsers do: `latin1` and `iso-8859-1` mean windows-1252,
 * `utf8` means utf-8. No charset means UTF-8 (RFC 8259 for JSON, the modern default for text).
 */
export function resolveCharset(label: string | undefined): CharsetResolution {
  if (label === undefined || label === '') return { ok: true, encoding: 'utf-8' };
  try {
    return { ok: true, encoding: new TextDecoder(label).encoding };
  } catch {
    return { ok: false, label };
  }
}

/**
 * Validates UTF-8 incrementally (Unicode 15 table 3-7: no overlongs, no surrogates, nothing above
 * U+10FFFF) and remembers the offset of the first ill-formed sequence across chunk boundaries.
 */
export class Utf8Validator {
  #offset = 0;
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #sequenceStart = 0;
  #error = -1;

  /** Feeds the next chunk; stops looking once an error was found. */
  push(chunk: Uint8Array): void {
    if (this.#error >= 0) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.#need === 0) {
        if (byte <= 0x7f) continue;
        this.#sequenceStart = this.#offset + i;
        this.#lower = 0x80;
        this.#upper = 0xbf;
        if (byte >= 0xc2 && byte <= 0xdf) this.#need = 1;
        else if (byte >= 0xe0 && byte <= 0xef) {
          this.#need = 2;
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          this.#need = 3;
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
        } else {
          this.#error = this.#sequenceStart;
          return;
        }
      } else {
        if (byte < this.#lower || byte > this.#upper) {
          this.#error = this.#sequenceStart;
          return;
        }
        this.#lower = 0x80;
        this.#upper = 0xbf;
        this.#need--;
      }
    }
    this.#offset += chunk.length;
  }

  /** Ends the stream: a sequence left incomplete is an error at its first byte. Returns the offset or -1. */
  end(): number {
    if (this.#error < 0 && this.#need > 0) this.#error = this.#sequenceStart;
    return this.#error;
  }
}

/** Offset of the first ill-formed UTF-8 sequence in `bytes`, or -1 when all of it is valid. */
export function findInvalidUtf8(bytes: Uint8Array): number {
  const validator = new Utf8Validator();
  validator.push(bytes);
  return validator.end();
}

/** The first offset at which `encoding` cannot decode `bytes`, by bisection over streamed prefixes. */
function bisectDecodeFailure(bytes: Uint8Array, encoding: string): number {
  const decodes = (length: number, stream = true): boolean => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, length), { stream });
      return true;
    } catch {
      return false;
    }
  };
  /** Where the character containing the byte before `end` began: the last complete prefix. */
  const sequenceStart = (end: number): number => {
    for (let start = end; start >= Math.max(0, end - 4); start--) if (decodes(start, false)) return start;
    return Math.max(0, end);
  };
  // A prefix that fails makes every longer prefix fail, so the predicate is monotone.
  let low = 0;
  let high = bytes.length;
  if (decodes(high)) return sequenceStart(bytes.length); // only the end is incomplete
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (decodes(middle)) low = middle + 1;
    else high = middle;
  }
  // `low` is the shortest failing prefix: its last byte completes an ill-formed sequence.
  return sequenceStart(low - 1);
}

/**
 * windows-1252 bytes 0x80–0x9F (WHATWG index). Node 20's TextDecoder decodes windows-1252 — which is
 * also what `latin1` and `iso-8859-1` mean — as plain ISO-8859-1, turning "€" (0x80) and smart quotes
 * (0x93, 0x94) into invisible C1 controls (nodejs/node#56542), so this one encoding is decoded here.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Decodes windows-1252 per the WHATWG Encoding Standard (every byte is defined, so it never fails). */
export function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\x80-\x9f]/g, (char) => String.fromCharCode(WINDOWS_1252_HIGH[char.charCodeAt(0) - 0x80] as number));
}

/** Decodes a whole in-memory body strictly; on failure returns the exact offset of the bad byte. */
export function decodeStrict(bytes: Uint8Array, encoding: string): { ok: true; text: string } | { ok: false; failure: DecodeFailure } {
  if (encoding === 'windows-1252') return { ok: true, text: decodeWindows1252(bytes) };
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true }).decode(bytes) };
  } catch {
    const offset = encoding === 'utf-8' ? findInvalidUtf8(bytes) : bisectDecodeFailure(bytes, encoding);
    return { ok: false, failure: { offset: Math.max(0, offset), exact: true } };
  }
}

/** Checks a body chunk by chunk without keeping it (bodies streamed to a sink). */
export interface StreamingTextCheck {
  push(chunk: Uint8Array): void;
  /** The first failure, or null when the whole stream decoded. */
  end(): DecodeFailure | null;
}

/** A streaming check: exact offsets for UTF-8, the failing chunk's first offset for other charsets. */
export function createStreamingTextCheck(encoding: string): StreamingTextCheck {
  if (encoding === 'utf-8') {
    const validator = new Utf8Validator();
    return {
      push: (chunk) => validator.push(chunk),
      end: () => {
        const offset = validator.end();
        return offset < 0 ? null : { offset, exact: true };
      },
    };
  }
  if (encoding === 'windows-1252') return { push: () => undefined, end: () => null };
  const decoder = new TextDecoder(encoding, { fatal: true });
  let offset = 0;
  let failure: DecodeFailure | null = null;
  return {
    push(chunk) {
      if (failure !== null) return;
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        failure = { offset, exact: false };
      }
      offset += chunk.length;
    },
    end() {
      if (failure === null) {
        try {
          decoder.decode();
        } catch {
          failure = { offset: Math.max(0, offset - 1), exact: false };
        }
      }
      return failure;
    },
  };
}
