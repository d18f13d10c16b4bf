/**
 * What completes a `plan-execute` confirmation token: `{ "confirmed": true, "userId": "ops@example.com" }`
 * (docs/trigger-dev.md "Confirming from outside"). `confirmed: false` rejects. Other fields (a comment
 * from a UI) are allowed and ignored. An answer that does not match is not guessed at — not even
 * `"yes"` or `"true"`: the task records nothing, publishes a new token and says why in run metadata.
 */
import { z } from 'zod';
import { formatZodIssues } from '../support/zod-issues.ts';

/** The token's completion data. */
export const ConfirmationAnswerSchema = z.object({
  confirmed: z.boolean().describe('true: the action runs; false: it ends failed (user_cancelled) and its errorHandling applies'),
  userId: z.string().min(1).max(256).optional().describe('Who answered; recorded with the answer'),
}).describe('Completion data of a plan-execute confirmation token');

/** A parsed answer. */
export type ConfirmationAnswer = z.infer<typeof ConfirmationAnswerSchema>;

/** The answer in a token's output, or why it is not one (`$.path: expected …` lines). */
export function parseConfirmationAnswer(output: unknown): { ok: true; answer: ConfirmationAnswer } | { ok: false; problem: string } {
  const parsed = ConfirmationAnswerSchema.safeParse(output);
  if (parsed.success) return { ok: true, answer: parsed.data };
  return { ok: false, problem: `the token was completed with ${describe(output)}, which is not an answer: expected { "confirmed": true | false, "userId"?: string }:\n${formatZodIssues(parsed.error.issues)}` };
}

function describe(output: unknown): string {
  if (output === undefined) return 'no data';
  const text = JSON.stringify(output);
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}
