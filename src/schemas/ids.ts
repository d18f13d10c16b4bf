/** Identifier and primitive value schemas of spec §4.1, exactly as specified. */
import { z } from 'zod';

/** Unique identifier for a user in the system. */
export const UserIdSchema = z.string().uuid().brand('UserId')
  .describe('Unique identifier for a user in the system');

/** Unique identifier for a customer account. */
export const CustomerIdSchema = z.string().uuid().brand('CustomerId')
  .describe('Unique identifier for a customer account');

/** Unique identifier for a plan execution instance. */
export const ExecutionIdSchema = z.string().uuid().brand('ExecutionId')
  .describe('Unique identifier for a plan execution instance');

/** Unique identifier for an action within a plan. */
export const ActionIdSchema = z.string().brand('ActionId')
  .describe('Unique identifier for an action within a plan');

/** Unique identifier for a learned execution pattern. */
export const PatternIdSchema = z.string().uuid().brand('PatternId')
  .describe('Unique identifier for a learned execution pattern');

export const ISODateTimeSchema = z.string()
  .datetime()
  .describe('ISO 8601 datetime string with timezone information');

export const UUIDSchema = z.string()
  .uuid()
  .describe('RFC 4122 UUID v4 for unique identification');

export const URLSchema = z.string()
  .url()
  .describe('Fully qualified URL including protocol');

export const DurationMsSchema = z.number()
  .int()
  .nonnegative()
  .describe('Duration in milliseconds');

export type UserId = z.infer<typeof UserIdSchema>;
export type CustomerId = z.infer<typeof CustomerIdSchema>;
export type ExecutionId = z.infer<typeof ExecutionIdSchema>;
export type ActionId = z.infer<typeof ActionIdSchema>;
export type PatternId = z.infer<typeof PatternIdSchema>;
export type ISODateTime = z.infer<typeof ISODateTimeSchema>;
export type DurationMs = z.infer<typeof DurationMsSchema>;
