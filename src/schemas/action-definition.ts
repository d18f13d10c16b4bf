/** Action definition of spec §4.1: one executable HTTP action. */
import { z } from 'zod';
import { DurationMsSchema, URLSchema } from './ids.ts';
import { ErrorCategorySchema } from './errors.ts';
import { AuthenticationSchema } from './auth.ts';
import { RetryPolicySchema } from './retry.ts';

export const ActionDefinitionSchema = z.object({
  id: z.string().describe('Unique identifier for this action type'),
  name: z.string().describe('Human-readable action name'),
  description: z.string().describe('Detailed description of what this action does'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/).describe('Semantic version of action definition'),

  endpoint: z.object({
    url: URLSchema.describe('Base URL with {param} placeholders for substitution'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).describe('HTTP method'),
    headers: z.record(z.string(), z.string()).describe('Static headers to include'),
    timeout: DurationMsSchema.describe('Request timeout in milliseconds')
  }).describe('HTTP endpoint configuration'),

  authentication: AuthenticationSchema.optional().describe('Authentication requirements'),

  inputSchema: z.record(z.string(), z.string()).describe('JSON schema for input validation'),
  outputSchema: z.record(z.string(), z.string()).describe('JSON schema for output parsing'),

  retryPolicy: RetryPolicySchema.describe('How to handle failures'),

  knownErrors: z.array(z.object({
    pattern: z.string().describe('Regex to match error message'),
    category: ErrorCategorySchema.describe('Error categorization'),
    suggestion: z.string().describe('How to fix this error')
  })).describe('Known error patterns for better error handling'),

  rateLimit: z.object({
    requests: z.number().int().positive().describe('Number of requests allowed'),
    window: DurationMsSchema.describe('Time window in milliseconds'),
    scope: z.enum(['global', 'per_user', 'per_ip']).describe('Rate limit scope')
  }).optional().describe('Rate limiting configuration'),

  examples: z.array(z.object({
    name: z.string().describe('Example scenario name'),
    input: z.record(z.string(), z.string()).describe('Example input data'),
    output: z.record(z.string(), z.string()).describe('Expected output')
  })).describe('Example usage for testing and documentation')
}).describe('Complete definition of an executable action');

export type ActionDefinition = z.infer<typeof ActionDefinitionSchema>;
