/**
 * Human output of `replay`: a header saying same or diverged, each step beside the journal, the first
 * divergence in words and what would follow from it. Ids and API texts are data, so every line is
 * escaped for the terminal.
 */
import { escapeForTerminal as t } from '../support/terminal-text.ts';
import { decisionOf } from './replay-words.ts';
import type { ReplayedStep, ReplayReport, StepTransition } from './replay-report.ts';

const MARK: Record<ReplayedStep['verdict'], string> = { same: '✓', changed: '≠', diverged: '✗', 'what-if': '→' };

function transitionText(step: StepTransition): string {
  return `${step.from} → ${step.to}`;
}

/** What a step did, briefly: the attempt and the decision. */
function stepDetail(step: ReplayedStep): string {
  const attempt = step.attempt === undefined ? '' : `attempt ${step.attempt}`;
  const decision = step.from === 'classifying' ? decisionOf(step) : undefined;
  const words = decision ? `${decision.subject ? `${decision.subject} ` : ''}${decision.classification} → ${decision.would.replace(/^would /, '')}` : '';
  return [attempt, words].filter(Boolean).join(': ');
}

/** The divergence a person looks at first: the earliest other decision, else the earliest difference. */
function firstDivergence(report: ReplayReport): ReplayReport['divergences'][number] | undefined {
  return report.divergences.find((d) => d.kind !== 'detail') ?? report.divergences[0];
}

/** `same — completed after 2 attempts` / `diverged at attempt 1`. */
function verdictText(report: ReplayReport): string {
  if (report.outcome === 'same') {
    const attempts = report.finalState?.attempts ?? report.steps.filter((s) => s.event === 'SENT').length;
    if (report.stop) return `same so far — the journal ends in ${report.recordedState} (${report.steps.length} transitions)`;
    return `same — ${report.replayedState} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${report.steps.length} transitions)`;
  }
  const first = firstDivergence(report);
  return `diverged${first ? ` at ${first.where}` : ''} — the journal ends ${report.recordedState}, the replay ${report.stop ? `stops in ${report.replayedState}` : `ends ${report.replayedState}`}`;
}

/** The header line of one replay. */
export function replayHeadline(report: ReplayReport): string {
  const mark = report.outcome === 'same' ? '✓' : '✗';
  const how = report.whatIf ? ` ${t(report.whatIf)}` : '';
  return `${mark} ${t(report.executionId)} / ${t(report.actionId)} (${t(report.definitionId)})${how}: ${verdictText(report)}`;
}

/** Every line of one replay: the headline, the steps, the divergences and what would follow. */
export function replayLines(report: ReplayReport, options: { steps: boolean } = { steps: true }): string[] {
  const lines = [replayHeadline(report)];
  if (options.steps) {
    const width = Math.max(0, ...report.steps.map((s) => transitionText(s).length));
    for (const step of report.steps) {
      const detail = stepDetail(step);
      const recorded = step.recorded && step.verdict === 'diverged' ? `   journal: ${transitionText(step.recorded)} ${step.recorded.event}` : '';
      lines.push(`  ${MARK[step.verdict]} ${transitionText(step).padEnd(width)}  ${step.event.padEnd(12)}${t(detail)}${t(recorded)}`.trimEnd());
      for (const note of step.notes ?? []) lines.push(`      note: ${t(note)}`);
    }
  }
  const first = firstDivergence(report);
  for (const divergence of report.divergences) {
    const label = divergence === first ? 'first divergence' : divergence.kind === 'detail' ? 'detail' : 'also';
    lines.push(`  ${label}: ${t(divergence.message)}`);
  }
  if (report.followUp.length > 0) {
    lines.push('  what would follow:');
    for (const line of report.followUp) lines.push(`    ${t(line)}`);
  } else if (report.stop && report.stop.reason !== 'journal_ends') {
    lines.push(`  ${t(report.stop.message)}`);
  }
  if (report.requestsRefused > 0) lines.push(`  ${report.requestsRefused} request(s) were refused by the replay's no-network transport (none was sent)`);
  return lines;
}

/** The closing line over several replays. */
export function replaySummary(reports: readonly ReplayReport[]): string {
  const same = reports.filter((r) => r.outcome === 'same').length;
  const refused = reports.reduce((sum, r) => sum + r.requestsRefused, 0);
  return `replayed ${reports.length} execution${reports.length === 1 ? '' : 's'}: ${same} same, ${reports.length - same} diverged; no request sent${refused > 0 ? ` (${refused} refused)` : ''}`;
}
