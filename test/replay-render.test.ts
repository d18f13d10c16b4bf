/**
 * Replay's human output: the divergence a person is pointed at first is the earliest *other
 * decision*; a same-decision difference before it is shown as a detail. Ids and API texts are
 * escaped for the terminal.
 */
import { describe, expect, it } from 'vitest';
import { replayHeadline, replayLines } from '../src/replay/replay-render.ts';
import type { ReplayReport } from '../src/replay/replay-report.ts';

const base: ReplayReport = {
  executionId: 'e1',
  actionId: 'slow_search',
  definitionId: 'slow-search',
  whatIf: 'with this definition',
  outcome: 'diverged',
  recordedState: 'failed',
  replayedState: 'requesting',
  steps: [],
  divergences: [
    { seq: 5, where: 'attempt 1', kind: 'detail', message: 'attempt 1: same decision, another reason' },
    { seq: 8, where: 'attempt 2', kind: 'decision', message: 'attempt 2: would retry; it failed' },
  ],
  followUp: ['attempt 3 was never sent'],
  stop: { reason: 'unrecorded_attempt', message: 'attempt 3 was never sent' },
  finalState: null,
  requestsRefused: 0,
};

describe('replay output', () => {
  it('names the first other decision as the first divergence, and an earlier same-decision difference as a detail', () => {
    const lines = replayLines(base, { steps: false });
    expect(lines).toEqual([
      '✗ e1 / slow_search (slow-search) with this definition: diverged at attempt 2 — the journal ends failed, the replay stops in requesting',
      '  detail: attempt 1: same decision, another reason',
      '  first divergence: attempt 2: would retry; it failed',
      '  what would follow:',
      '    attempt 3 was never sent',
    ]);
  });

  it('escapes control characters in ids and texts', () => {
    const line = replayHeadline({ ...base, executionId: 'e\u001b[31m1', divergences: [] });
    expect(line).toContain('e\\x1b[31m1');
    expect(line).not.toContain('\u001b');
  });
});
