/**
 * What each error category means for retrying and for the person reading the error. Used when a rule
 * names a category without saying more (definition `knownErrors` carry no `retryable`), and as the
 * default suggestion. docs/errors.md is the prose version of this table.
 */
import type { ErrorCategory } from '../schemas/errors.ts';

/**
 * Whether an error of this category is worth repeating when nothing more specific is known.
 * `api_unexpected_status` depends on the status (5xx yes, 4xx no), so it is decided by the caller.
 */
export const CATEGORY_RETRYABLE: Readonly<Record<ErrorCategory, boolean>> = {
  auth_expired: true,
  auth_invalid: false,
  rate_limit_daily: true,
  rate_limit_burst: true,
  network_timeout: true,
  network_connection_refused: true,
  api_response_malformed: false,
  api_endpoint_removed: false,
  api_unexpected_status: false,
  validation_failed: false,
  state_inconsistent: false,
  user_cancelled: false,
};

/** The rate-limit categories: their server wish (reset headers) counts and they mean "not processed". */
export function isRateLimitCategory(category: ErrorCategory): category is 'rate_limit_burst' | 'rate_limit_daily' {
  return category === 'rate_limit_burst' || category === 'rate_limit_daily';
}

/** The default "what to do" for each category (rules and status rows may say something sharper). */
export const CATEGORY_SUGGESTION: Readonly<Record<ErrorCategory, string>> = {
  auth_expired:
    'The credential has expired. With oauth2 authentication the executor refreshes the token once and repeats the request; otherwise renew the credential and run the action again.',
  auth_invalid:
    'The API rejected the credential or its permissions. Check that the credential named in the action definition is correct, not revoked, and has the scopes this endpoint needs.',
  rate_limit_daily:
    'A long-window quota (daily or billing) is exhausted. Wait until retryAfter, raise the quota with the vendor, or spread the work over time.',
  rate_limit_burst:
    'The API is throttling requests. The executor waits at least as long as the server asked; if this persists, lower the request rate or declare definition.rateLimit.',
  network_timeout:
    'The API did not answer in time. Check the API status page and consider raising endpoint.timeout.',
  network_connection_refused:
    'The API host could not be reached. Check the URL, DNS, firewall/proxy settings and the API status page.',
  api_response_malformed:
    'The API answered with a body that could not be read. Look at the recorded body preview: a proxy error page or a changed API format are the usual causes.',
  api_endpoint_removed:
    'The endpoint or resource does not exist (any more). Check the URL and path parameters against the API documentation and changelog.',
  api_unexpected_status:
    'The API answered with a status the action does not expect. Read the API message and the recorded response; 5xx errors are retried per the retry policy.',
  validation_failed:
    'The request or response did not have the expected shape. Check the action inputs and the definition against the API documentation.',
  state_inconsistent:
    'The recorded state does not match what the API or the request says. Verify the outcome with the API before running the action again.',
  user_cancelled: 'The execution was cancelled on request; nothing more will be attempted.',
};
