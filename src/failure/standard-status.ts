/**
 * The standard status table of DESIGN §5 (EXEC-016): how an HTTP status is classified when neither
 * the catalog nor the definition's knownErrors say otherwise. Pure.
 */
import type { ErrorCategory } from '../schemas/errors.ts';
import { CATEGORY_SUGGESTION } from './error-categories.ts';

export interface StandardRow {
  category: ErrorCategory;
  retryable: boolean;
  /** The status itself proves the request was not processed (429). */
  notProcessed: boolean;
  /** Which row applied, for the error context (`401 with a refreshable credential`). */
  row: string;
  suggestion: string;
}

export interface StandardFacts {
  /** An oauth2 credential was used: a 401 means "expired, refresh and repeat". */
  refreshableAuth: boolean;
  /** An idempotency-key header was sent: a 409 means "still processing that key". */
  idempotencyKeySent: boolean;
  /** The reset is more than an hour away or the quota window is a day or longer. */
  longWindowRateLimit: boolean;
}

/** Classifies a non-2xx status by the standard table. */
export function standardClassification(status: number, facts: StandardFacts): StandardRow {
  const row = (category: ErrorCategory, retryable: boolean, label: string, suggestion = CATEGORY_SUGGESTION[category], notProcessed = false): StandardRow => ({
    category,
    retryable,
    notProcessed,
    row: label,
    suggestion,
  });
  switch (status) {
    case 400:
      return row('validation_failed', false, '400', 'The API rejected the request as malformed. Read the API message, then check the action inputs and the definition (URL parameters, body fields) against the API documentation.');
    case 413:
      return row('validation_failed', false, '413', 'The request body is larger than the API accepts. Send less data per request (split the work) or check the API limits.');
    case 422:
      return row('validation_failed', false, '422', 'The API understood the request but rejected its content. The API message usually names the field; fix the input and run the action again.');
    case 401:
      return facts.refreshableAuth
        ? row('auth_expired', true, '401 with a refreshable credential', 'The access token was rejected; the executor fetches a new token and repeats the request once. If it fails again, check the OAuth client and its grant.')
        : row('auth_invalid', false, '401', 'The API did not accept the credential. Check that the credential referenced by the definition is set, correct and not revoked.');
    case 403:
      return row('auth_invalid', false, '403', 'The credential was recognised but is not allowed to do this. Check its scopes, roles or plan for this endpoint.');
    case 404:
    case 405:
    case 410:
    case 501:
      return row('api_endpoint_removed', false, String(status), status === 405
        ? 'The API does not allow this HTTP method on this URL. Check endpoint.method against the API documentation.'
        : 'The endpoint or resource does not exist (any more). Check the URL and path parameters, and the API changelog for moved or removed endpoints.');
    case 408:
      return row('network_timeout', true, '408', 'The API timed out waiting for the request. It is retried per the retry policy; check network throughput if this repeats.');
    case 409:
      return facts.idempotencyKeySent
        ? row('api_unexpected_status', true, '409 with an idempotency key', 'The API is still processing an earlier request with the same idempotency key; the request is repeated after a delay and the API will return the original result.')
        : row('api_unexpected_status', false, '409', 'The request conflicts with the current state of the resource (for example it already exists). Read the API message and check whether the work was already done.');
    case 429:
      return facts.longWindowRateLimit
        ? row('rate_limit_daily', true, '429 with a reset more than an hour away', CATEGORY_SUGGESTION.rate_limit_daily, true)
        : row('rate_limit_burst', true, '429', CATEGORY_SUGGESTION.rate_limit_burst, true);
    default:
      if (status >= 500) {
        return row('api_unexpected_status', true, '5xx', 'The API failed on its side. It is retried per the retry policy; if it persists, check the API status page.');
      }
      if (status >= 400) {
        return row('api_unexpected_status', false, 'other 4xx', 'The API refused the request with a status this executor has no rule for. Read the API message; add a catalog errorMapping or a knownErrors entry if this needs special handling.');
      }
      return row('api_unexpected_status', false, status >= 300 ? '3xx' : 'unexpected status', 'The API answered with a status that is neither success nor error (an unfollowed redirect or an informational status). Check the endpoint URL.');
  }
}
