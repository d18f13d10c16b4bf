/** The `action-execute` job payload of spec §3.2 (event `action.execute.requested`). */
import { z } from 'zod';
import { UUIDSchema } from './ids.ts';
import { PlannedActionSchema } from './plan.ts';

export const ActionExecuteRequestSchema = z.object({
  executionId: UUIDSchema,
  action: PlannedActionSchema,
  context: z.object({
    credentials: z.record(z.string(), z.string()),
    previousResults: z.record(z.string(), z.string())
  })
}).describe('Payload of the action.execute.requested event');

export type ActionExecuteRequest = z.infer<typeof ActionExecuteRequestSchema>;
