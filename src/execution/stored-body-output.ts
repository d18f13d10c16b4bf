/**
 * The output of a successful response whose body streamed to storage (issue 13 item 7): the body is
 * read back (stored-body.ts), and a JSON body is validated and mapped as a small one is — its record
 * held to the inline budget (bounded-output-record.ts) so the journal does not grow with the body.
 * Used by classification (validate and map) and by storing (which names the fields left out in the
 * output location, so a reader knows where they are).
 */
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiQuirks } from '../schemas/catalog.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ResponseOutcome } from '../http/http-types.ts';
import type { ExecutionKey } from '../../storage/journal.ts';
import type { StreamingStorageProvider } from '../../storage/streaming-storage-provider.ts';
import { readStoredBody } from '../http/body/stored-body.ts';
import { boundedOutputRecord } from '../http/body/bounded-output-record.ts';
import { storageIdFor } from './storage-ids.ts';

/** What a stored body maps to. */
export type StoredBodyOutput =
  /** JSON, parsed: `json` for validation, `output` within the budget, `omitted` the fields left out. */
  | { kind: 'mapped'; json: unknown; output: Record<string, string>; omitted: string[] }
  /** Over maxMappedBodyBytes: the body stays a stored file; with an outputSchema `error` is the failure. */
  | { kind: 'too_large'; error: ErrorDetail }
  /** Gone, changed on disk, or not the JSON it was declared to be: the action's failure. */
  | { kind: 'failed'; error: ErrorDetail }
  /** Not JSON after all (a sniffed body that only looked like it): described, as before. */
  | { kind: 'unmapped' };

export interface StoredBodyInput {
  storage: StreamingStorageProvider;
  key: ExecutionKey;
  attempt: number;
  outcome: ResponseOutcome;
  definition: ActionDefinition;
  quirks: Partial<ApiQuirks> | undefined;
  /** Bytes the output record may hold (the executor's inline body limit). */
  maxRecordBytes: number;
  /** The largest body read back. */
  maxBodyBytes: number;
  redact: (text: string) => string;
}

/** The storage item an attempt's streamed body was written to (execution-run.ts `send`). */
export const bodyItemOf = (key: ExecutionKey, attempt: number): { collection: string; id: string } => ({ collection: 'bodies', id: storageIdFor(key, `attempt-${attempt}.body`) });

/** Top-level response fields the definition's outputSchema reads (`data.user.id` reads `data`). */
const declaredFields = (definition: ActionDefinition): string[] => Object.keys(definition.outputSchema).map((path) => path.split('.')[0] ?? path);

/** Reads the stored body of a response back and maps it; throws only storage faults (infrastructure). */
export async function storedBodyOutput(input: StoredBodyInput): Promise<StoredBodyOutput> {
  const { outcome } = input;
  const location = outcome.body.location;
  if (location === undefined) return { kind: 'unmapped' };
  const read = await readStoredBody(
    input.storage,
    { ...bodyItemOf(input.key, input.attempt), location },
    {
      contentTypeHeader: outcome.headers['content-type'] ?? null,
      status: outcome.status,
      operation: `${outcome.trace.request.method} ${outcome.trace.request.url}`,
      quirks: input.quirks,
      redact: input.redact,
    },
    input.maxBodyBytes,
  );
  if (!read.ok) return read.reason === 'too_large' ? { kind: 'too_large', error: read.error } : { kind: 'failed', error: { ...read.error, statusCode: outcome.status } };
  const { body } = read;
  if (body.problem) return { kind: 'failed', error: body.problem };
  if (body.kind !== 'json') return { kind: 'unmapped' };
  return { kind: 'mapped', json: body.json, ...boundedOutputRecord(body.json, declaredFields(input.definition), input.maxRecordBytes) };
}
