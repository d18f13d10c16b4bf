/**
 * The output of a successful response whose body streamed to storage (issue 13 item 7): the body is
 * read back (stored-body.ts), and a JSON body is validated and mapped as a small one is — its record
 * held to the inline budget (bounded-output-record.ts) so the journal does not grow with the body.
 * Used by classification (validate and map) and by storing (which names the fields left out in the
 * output location, so a reader knows where they are).
 */
import type { ExecutionEvent } from '../../machines/action-execution.ts';
import { isActionError } from '../failure/errors.ts';
import { outputFromBody } from '../http/body/body-output.ts';
import { validateOutput } from '../validation/validation.ts';
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

/**
 * What the output location adds to the stored body's metadata, so the recorded state says what the
 * output record leaves out: `omittedOutputFields` (JSON array of field names) when fields did not fit
 * the inline budget, `notMapped` when the body was too large to map at all.
 */
export function storedBodyMetadata(stored: StoredBodyOutput, input: Pick<StoredBodyInput, 'maxBodyBytes'>): Record<string, string> {
  if (stored.kind === 'mapped') return stored.omitted.length === 0 ? {} : { omittedOutputFields: JSON.stringify(stored.omitted) };
  if (stored.kind === 'too_large') return { notMapped: `too large to map to output fields: bodies over ${input.maxBodyBytes} bytes (maxMappedBodyBytes) are stored, not parsed` };
  return {};
}

/** How {@link storedSuccessEvent} reports, and how a failure gets the run's catalog note and redaction. */
export interface StoredSuccessHooks {
  log(level: 'info' | 'error', message: string, fields?: Record<string, unknown>): void;
  finishError(error: ErrorDetail): ErrorDetail;
}

/**
 * The event of a JSON success whose body streamed to storage: validated against outputSchema and
 * mapped to output fields as a small body is (EXEC-010 at any size), within the inline budget. Over
 * the mapping cap it fails when there is a schema to check, and otherwise completes with the
 * stored-body descriptor. `metadata`: what `store` adds to the output location (see {@link storedBodyMetadata}).
 */
export async function storedSuccessEvent(input: StoredBodyInput, hooks: StoredSuccessHooks): Promise<{ event: ExecutionEvent; metadata: Record<string, string> }> {
  const { definition, outcome } = input;
  const stored = await storedBodyOutput(input);
  const hasSchema = Object.keys(definition.outputSchema).length > 0;
  if (stored.kind === 'failed' || (stored.kind === 'too_large' && hasSchema)) {
    hooks.log('error', `failed: ${stored.error.message}`, { category: stored.error.category, code: stored.error.code });
    return { event: { type: 'FAILED', error: hooks.finishError({ ...stored.error, statusCode: outcome.status }) }, metadata: {} };
  }
  if (stored.kind !== 'mapped') {
    if (stored.kind === 'too_large') hooks.log('info', `${stored.error.message} With no outputSchema, the action completes with the stored body as its output.`);
    return { event: { type: 'SUCCEEDED', output: outputFromBody(outcome.body) }, metadata: storedBodyMetadata(stored, input) };
  }
  try {
    validateOutput(definition, stored.json);
  } catch (error) {
    if (isActionError(error)) return { event: { type: 'FAILED', error: hooks.finishError({ ...error.detail, statusCode: outcome.status }) }, metadata: {} };
    throw error;
  }
  if (stored.omitted.length > 0) {
    hooks.log('info', `output field(s) ${stored.omitted.join(', ')} left out of the journaled output (over the ${input.maxRecordBytes}-byte inline limit); they are in the stored body at ${outcome.body.location?.path ?? 'storage'}`);
  }
  return { event: { type: 'SUCCEEDED', output: stored.output }, metadata: storedBodyMetadata(stored, input) };
}
