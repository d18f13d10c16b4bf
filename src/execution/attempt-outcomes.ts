/**
 * Attempt outcomes the run makes itself rather than receives: the in-doubt outcome of a request that
 * left before a crash, and an outcome with the secrets redacted from its raw bytes.
 */
import { errorDetail } from '../failure/errors.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';
import type { AttemptOutcome } from '../http/http-types.ts';
import type { Redactor } from '../redaction/redaction.ts';

/** What the journal stores for an attempt whose request left but whose outcome never arrived. */
export function inDoubtOutcome(request: HttpTraceEntry['request'], timestamp: string, method: string): AttemptOutcome {
  const error = errorDetail(
    'state_inconsistent',
    `${method} ${request.url}: the process stopped after sending this request and before its response was recorded, so whether it took effect is unknown. It was not sent again because repeating a ${method} without an idempotency key could apply it twice.`,
    {
      code: 'OUTCOME_UNKNOWN',
      context: { method, url: request.url },
      suggestion:
        'Check with the API whether the request took effect before retrying it. To make such requests safe to repeat automatically, declare an idempotency-key header in the definition, e.g. "Idempotency-Key": "{idempotencyKey}".',
    },
  );
  return {
    kind: 'network_error',
    error,
    reachedServer: 'maybe',
    phase: 'request',
    durationMs: 0,
    trace: { timestamp, request, error },
  };
}

/**
 * An outcome whose inline raw bytes (base64 of a binary or undecodable body) have secrets redacted —
 * text redaction cannot see inside base64. A body streamed to storage was redacted on its way there,
 * so its size and SHA-256 are the stored file's.
 */
export function withRedactedBytes(outcome: AttemptOutcome, redactor: Redactor): AttemptOutcome {
  if (outcome.kind !== 'response') return outcome;
  const { body } = outcome;
  if (body.location) return { ...outcome, body: { ...body, size: body.location.size, sha256: body.location.checksum } };
  if (body.base64 === undefined || redactor.size === 0) return outcome;
  return { ...outcome, body: { ...body, base64: redactor.bytes(Buffer.from(body.base64, 'base64')).toString('base64') } };
}

