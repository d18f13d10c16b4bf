/** API catalog schemas of spec §4.1 (vendor-specific behaviour) and the ApiCatalog interface of §4.2. */
import { z } from 'zod';
import { DurationMsSchema, URLSchema } from './ids.ts';
import { ErrorCategorySchema } from './errors.ts';

export const ApiErrorMappingSchema = z.object({
  pattern: z.string().optional().describe('Regex pattern to match error message'),
  status: z.number().int().optional().describe('HTTP status code to match'),
  header: z.object({
    name: z.string().describe('Header name to check'),
    pattern: z.string().describe('Regex pattern for header value')
  }).optional().describe('Header-based error detection'),
  category: ErrorCategorySchema.describe('How to categorize this error'),
  retryable: z.boolean().describe('Whether this error should be retried'),
  backoffStrategy: z.enum(['exponential', 'linear', 'custom']).optional()
    .describe('Specific backoff strategy for this error')
}).describe('Rule for mapping API-specific errors to standard categories');

export const ApiRateLimitConfigSchema = z.object({
  detection: z.object({
    statusCodes: z.array(z.number().int()).describe('Status codes indicating rate limit'),
    headers: z.array(z.string()).describe('Headers that indicate rate limiting'),
    bodyPatterns: z.array(z.string()).optional().describe('Response body patterns')
  }).describe('How to detect rate limiting'),
  extraction: z.object({
    limitHeader: z.string().optional().describe('Header containing request limit'),
    remainingHeader: z.string().optional().describe('Header with remaining requests'),
    resetHeader: z.string().optional().describe('Header with reset timestamp'),
    resetFormat: z.enum(['unix_seconds', 'unix_ms', 'iso8601']).optional()
      .describe('Format of reset timestamp')
  }).describe('How to extract rate limit information'),
  backoffStrategy: z.object({
    type: z.enum(['exponential', 'linear', 'respect_reset']).describe('Backoff algorithm'),
    initialDelay: DurationMsSchema.optional().describe('Initial retry delay'),
    maxDelay: DurationMsSchema.optional().describe('Maximum retry delay')
  }).describe('How to handle rate limit backoff')
}).describe('API-specific rate limiting behavior');

export const ApiQuirksSchema = z.object({
  successWithErrorBody: z.boolean().default(false)
    .describe('API returns 200 OK with error details in response body'),
  errorContentType: z.string().optional()
    .describe('Content-Type used for error responses (if different from success)'),
  emptyResponseOn204: z.boolean().default(true)
    .describe('API returns empty body on 204 No Content'),
  binaryErrorResponses: z.boolean().default(false)
    .describe('API might return binary data on errors'),
  nonStandardJsonContentType: z.string().optional()
    .describe('API uses non-standard Content-Type for JSON (e.g., text/json)'),
  requiresUserAgent: z.string().optional()
    .describe('Specific User-Agent required by API'),
  maxResponseSize: z.number().int().positive().optional()
    .describe('Maximum expected response size in bytes')
}).describe('API-specific quirks and non-standard behaviors');

export const ApiCatalogEntrySchema = z.object({
  apiId: z.string().describe('Unique identifier for this API'),
  name: z.string().describe('Human-readable API name'),
  version: z.string().describe('API version this entry applies to'),
  baseUrl: URLSchema.describe('Base URL for the API'),

  errorMappings: z.array(ApiErrorMappingSchema)
    .describe('Rules for categorizing API-specific errors'),

  rateLimiting: ApiRateLimitConfigSchema.optional()
    .describe('API-specific rate limiting configuration'),

  quirks: ApiQuirksSchema
    .describe('Non-standard behaviors of this API'),

  healthCheck: z.object({
    endpoint: z.string().describe('Endpoint to verify API availability'),
    expectedStatus: z.number().int().describe('Expected HTTP status'),
    timeout: DurationMsSchema.describe('Health check timeout')
  }).optional().describe('How to check if API is available'),

  notes: z.string().optional()
    .describe('Human-readable notes about this API')
}).describe('Complete behavioral definition for a specific API');

export type ApiErrorMapping = z.infer<typeof ApiErrorMappingSchema>;
export type ApiRateLimitConfig = z.infer<typeof ApiRateLimitConfigSchema>;
export type ApiQuirks = z.infer<typeof ApiQuirksSchema>;
/** A parsed catalog entry (defaults of `quirks` applied). */
export type ApiCatalogEntry = z.infer<typeof ApiCatalogEntrySchema>;
/** A catalog entry as written by a user, before defaults are applied. */
export type ApiCatalogEntryInput = z.input<typeof ApiCatalogEntrySchema>;

/** The API catalog interface of spec §4.2. Real implementations are injected at runtime. */
export interface ApiCatalog {
  getApiEntry(apiId: string): Promise<ApiCatalogEntry | null>;
  getAllApis(): Promise<string[]>;
}
