/**
 * A BodySink wrapper that redacts known secrets from a body streamed to storage (DESIGN §5: secrets
 * never reach disk). It holds back the last `maxSecretBytes - 1` bytes of each chunk so a secret split
 * across chunks is still found, and hashes what it actually writes: the stored location's size and
 * SHA-256 describe the stored (redacted) bytes.
 */
import { createHash } from 'node:crypto';
import type { BodySink, BodySinkWriter } from '../http/http-types.ts';
import type { Redactor } from './redaction.ts';

export function redactingSink(sink: BodySink, redactor: Redactor): BodySink {
  return {
    async open(meta): Promise<BodySinkWriter> {
      const writer = await sink.open(meta);
      // Decided at open — after authentication ran, so fetched tokens are known. No secret to look
      // for: pass the stream straight through (no copy, no second hash).
      if (redactor.maxSecretBytes === 0) return writer;
      const hash = createHash('sha256');
      let size = 0;
      let carry: Buffer = Buffer.alloc(0);
      const emit = async (bytes: Buffer): Promise<void> => {
        if (bytes.length === 0) return;
        hash.update(bytes);
        size += bytes.length;
        await writer.write(bytes);
      };
      return {
        async write(chunk) {
          const redacted = redactor.bytes(Buffer.concat([carry, chunk]));
          const hold = Math.min(redacted.length, Math.max(0, redactor.maxSecretBytes - 1));
          carry = Buffer.from(redacted.subarray(redacted.length - hold));
          await emit(redacted.subarray(0, redacted.length - hold));
        },
        async finish() {
          await emit(redactor.bytes(carry));
          carry = Buffer.alloc(0);
          return writer.finish({ size, sha256: hash.digest('hex') });
        },
        abort: () => writer.abort(),
      };
    },
  };
}
