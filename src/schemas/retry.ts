/** Retry policy of spec §4.1. */
import { z } from 'zod';
import { DurationMsSchema } from './ids.ts';
import { ErrorCategorySchema } from './errors.ts';

export const RetryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(10).describe('Maximum retry attempts including initial'),
  initialDelay: DurationMsSchema.describe('Initial backoff delay in ms'),
  maxDelay: DurationMsSchema.describe('Maximum backoff delay in ms'),
  backoffMultiplier: z.number().min(1).max(5).describe('Exponential backoff multiplier'),
  retryableErrors: z.array(ErrorCategorySchema).describe('Error categories that trigger retry'),
  jitter: z.boolean().describe('Add randomness to prevent thundering herd')
}).describe('Retry policy configuration for handling transient failures');

export type RetryPolicy = z.infer<typeof RetryPolicySchema>;
