/**
 * Response body → the action's output record (DESIGN §4 "Response → output"): JSON objects become
 * their top-level fields; binary bodies are base64 (EXEC-012) while small, and described (encoding,
 * content type, size, SHA-256) when they were streamed to storage, whose location is outputLocation.
 */
import type { ReceivedBody } from '../http-types.ts';
import { toOutputRecord } from './response-output.ts';

export function outputFromBody(body: ReceivedBody): Record<string, string> {
  if (body.location) {
    return {
      encoding: body.kind === 'binary' ? 'binary' : 'utf-8',
      contentType: body.contentType,
      size: String(body.size),
      sha256: body.sha256,
    };
  }
  switch (body.kind) {
    case 'empty':
      return {};
    case 'json':
      return toOutputRecord(body.json);
    case 'text':
      return { body: body.text ?? '' };
    case 'binary':
      return { body: body.base64 ?? '', encoding: 'base64', contentType: body.contentType, size: String(body.size), sha256: body.sha256 };
  }
}
