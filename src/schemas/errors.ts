/** Error modeling of spec §4.1: explicit, categorized failures. */
import { z } from 'zod';
import { ISODateTimeSchema } from './ids.ts';

export const ErrorCategorySchema = z.enum([
  'auth_expired',
  'auth_invalid',
  'rate_limit_daily',
  'rate_limit_burst',
  'network_timeout',
  'network_connection_refused',
  'api_response_malformed',
  'api_endpoint_removed',
  'api_unexpected_status',
  'validation_failed',
  'state_inconsistent',
  'user_cancelled'
]).describe('Categorization of error types for proper handling and retry logic');

export const ErrorDetailSchema = z.object({
  category: ErrorCategorySchema,
  message: z.string().describe('Human-readable error description'),
  code: z.string().optional().describe('API-specific error code if available'),
  statusCode: z.number().int().optional().describe('HTTP status code if applicable'),
  retryable: z.boolean().describe('Whether this error type should trigger automatic retry'),
  retryAfter: ISODateTimeSchema.optional().describe('Earliest time to retry if rate limited'),
  context: z.record(z.string(), z.string()).describe('Additional error context for debugging'),
  suggestion: z.string().optional().describe('Suggested remediation for the error')
}).describe('Comprehensive error information for debugging and recovery');

export type ErrorCategory = z.infer<typeof ErrorCategorySchema>;
export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;
