/**
 * The chaos soak's short variant (issue 6 §2; the long one is `npm run chaos`): executions of every
 * kind driven by an executor process that is SIGKILLed at random (seeded) moments and resumed with
 * resumeAll until all are terminal. Nothing may be lost, nothing applied twice where the executor
 * claims repeating is safe, and the journal must pass integrity_check.
 */
import { describe, expect, it } from 'vitest';
import { runChaosSoak } from '../bench/chaos-soak.ts';
import { chaosVerdict } from '../bench/chaos-report.ts';

describe('chaos soak (short)', () => {
  it.each(['process', 'machine'] as const)('60 executions, 5 random SIGKILLs, durability %s: none lost, no duplicate effect, every state valid, integrity ok', async (durability) => {
    const report = await runChaosSoak({ executions: 60, kills: 5, seed: 20260101, concurrency: 8, durability });
    expect(report.kills).toBe(5);
    expect(report.lives).toBeGreaterThanOrEqual(6);
    expect(report.byKind.get + report.byKind.post_keyed + report.byKind.post_unkeyed).toBe(60);
    expect(report.completed + report.failed).toBe(60);
    expect(report).toMatchObject({ lost: 0, duplicateKeyedEffects: 0, duplicateUnkeyedEffects: 0, invalidStates: 0, integrityCheck: 'ok' });
    // Whatever failed failed for a recorded reason: an unkeyed POST in doubt, never anything else here.
    expect(report.failed).toBe(report.outcomeUnknown);
    expect(chaosVerdict(report)).toEqual({ ok: true, problems: [] });
  }, 30_000);

  it('the verdict names every must-be-zero figure that is not zero', () => {
    const verdict = chaosVerdict({
      executions: 10,
      durability: 'process',
      byKind: { get: 4, post_keyed: 3, post_unkeyed: 3 },
      kills: 2,
      lives: 3,
      seconds: 1,
      completed: 8,
      failed: 1,
      lost: 1,
      duplicateKeyedEffects: 1,
      getResends: 0,
      duplicateUnkeyedEffects: 0,
      outcomeUnknown: 1,
      invalidStates: 0,
      integrityCheck: '*** in database main ***\nPage 5: never used',
      seed: 1,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      '1 executions lost (not terminal or missing)',
      '1 keyed POSTs applied twice',
      'integrity_check: *** in database main ***\nPage 5: never used',
    ]);
  });
});
