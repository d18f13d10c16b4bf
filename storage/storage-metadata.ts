/**
 * Rules every storage provider applies to what is stored beside the bytes: the content type when
 * none is given, and string-only metadata (it is returned by load as `Record<string, string>`).
 */
import { actionError } from '../src/failure/errors.ts';
import type { SaveOptions } from './streaming-storage-provider.ts';

/** The content type of bytes saved without one. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The content type a save records: the option, else metadata.contentType, else the default. */
export function contentTypeOf(options: SaveOptions): string {
  return options.contentType ?? options.metadata?.contentType ?? DEFAULT_CONTENT_TYPE;
}

/** Refuses metadata with a non-string value, naming the item and the field. */
export function checkMetadata(collection: string, id: string, metadata: Record<string, string>): void {
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw actionError('validation_failed', `Metadata "${name}" for storage id "${id}" in collection "${collection}" is a ${typeof value}; metadata values must be strings.`, {
        code: 'INVALID_STORAGE_METADATA',
        context: { collection, id, field: name },
        suggestion: 'Convert metadata values to strings (e.g. String(n) or JSON.stringify(v)).',
      });
    }
  }
}

/**
 * Whether a body's size and SHA-256 as counted by the HTTP layer match what the provider wrote.
 * The HTTP layer may report the digest in hex or base64; both name the same digest.
 */
export function sameSummary(actual: { size: number; sha256: string }, reported: { size: number; sha256: string }): boolean {
  if (actual.size !== reported.size) return false;
  const reportedHash = reported.sha256.trim();
  return reportedHash.toLowerCase() === actual.sha256 || reportedHash === Buffer.from(actual.sha256, 'hex').toString('base64');
}
