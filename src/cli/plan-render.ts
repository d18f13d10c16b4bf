/**
 * Human output of the plan commands: progress while a plan runs, its state (`plan show`), its journal
 * timeline of decisions, and the dry run. Ids, titles and API texts are data from elsewhere, so each
 * goes through escapeForTerminal (`t`).
 */
import type { ActionExecutionState, ExecutionState } from '../schemas/execution-state.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { TransitionRecord } from '../../storage/journal.ts';
import type { PlanProgressEvent, PlanResumeReport } from '../plans/plan-executor-api.ts';
import type { PlanDryRun } from '../plans/plan-dry-run.ts';
import { escapeForTerminal as t } from '../support/terminal-text.ts';
import { describeError } from './cli-render.ts';

function ms(value: number): string {
  if (value >= 3_600_000 && value % 60_000 === 0) return `${+(value / 3_600_000).toFixed(2)} h`;
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function errorLine(error: ErrorDetail): string {
  return `${t(error.category)}${error.code ? ` (${t(error.code)})` : ''}${error.statusCode ? `, HTTP ${error.statusCode}` : ''}: ${t(error.message.split('\n')[0] ?? '')}`;
}

/** One line for an action that ended, after it ran. */
function endedLine(actionId: string, state: ActionExecutionState): string {
  const took = state.duration === undefined ? '' : ` in ${ms(state.duration)}`;
  const attempts = ` after ${plural(state.attempts, 'attempt')}`;
  const result = state.result;
  if (result?.status === 'failure') return `  ✗ ${t(actionId)}: failed${took}${attempts} — ${errorLine(result.error)}`;
  if (result?.status === 'skipped') return `  – ${t(actionId)}: skipped — ${t(result.reason)}`;
  return `  ✓ ${t(actionId)}: ${state.status}${took}${attempts}`;
}

/** Lines to print for one progress event while `plan run` / `plan confirm` drive a plan. */
export function planProgressLines(event: PlanProgressEvent): string[] {
  switch (event.type) {
    case 'action-started':
      return [`  ▶ ${t(event.actionId)} (${t(event.definitionId)})${event.standingInFor ? ` in place of ${t(event.standingInFor)}` : ''}${event.resumed ? ', resumed from its journal' : ''}`];
    case 'action-ended':
      return [endedLine(event.actionId, event.state)];
    case 'action-ended-unrun':
      return [event.status === 'skipped' ? `  – ${t(event.actionId)}: skipped — ${t(event.reason ?? '')}` : `  ✗ ${t(event.actionId)}: failed — ${event.error ? errorLine(event.error) : 'no error recorded'}`];
    case 'confirmation-requested':
      return [`  ? ${t(event.actionId)} asks for confirmation: "${t(event.title)}" — ${t(event.message)}${event.timeoutAt ? ` (rejected automatically at ${event.timeoutAt})` : ''}`];
    case 'plan-status':
      return [];
  }
}

const MARK: Record<ActionExecutionState['status'], string> = { completed: '✓', failed: '✗', skipped: '–', running: '▶', pending: '·' };

/** The state of a plan, for `plan show` and the end of `plan run` / `confirm` / `cancel`. */
export function planStateLines(state: ExecutionState): string[] {
  const m = state.metrics;
  const took = m.totalDuration === undefined ? '' : `, ${ms(m.totalDuration)}`;
  const lines = [
    `plan ${t(state.planId)}: ${state.status} (${m.completedActions} of ${plural(m.totalActions, 'action')} completed, ${m.failedActions} failed, ${m.skippedActions} skipped${took}; started ${state.startedAt}${state.completedAt ? `, ended ${state.completedAt}` : ''})`,
  ];
  const open = new Map(state.confirmations.filter((entry) => entry.confirmed === undefined).map((entry) => [entry.actionId, entry]));
  const width = Math.max(0, ...Object.keys(state.actionStates).map((id) => t(id).length));
  for (const [id, action] of Object.entries(state.actionStates)) {
    const waiting = open.get(id);
    const status = waiting && action.status === 'pending' ? 'waiting for confirmation' : action.status;
    const mark = waiting && action.status === 'pending' ? '?' : MARK[action.status];
    const details: string[] = [];
    if (action.attempts > 0) details.push(plural(action.attempts, 'attempt'));
    if (action.duration !== undefined) details.push(ms(action.duration));
    const result = action.result;
    if (result?.status === 'failure') details.push(errorLine(result.error));
    if (result?.status === 'skipped') details.push(t(result.reason));
    lines.push(`  ${mark} ${t(id).padEnd(width)}  ${status}${details.length > 0 ? `  ${details.join(', ')}` : ''}`);
  }
  if (state.confirmations.length > 0) {
    lines.push('confirmations:');
    for (const entry of state.confirmations) {
      const answer = entry.confirmed === undefined ? 'not answered yet' : `${entry.confirmed ? 'confirmed' : 'rejected'}${entry.userId ? ` by ${t(entry.userId)}` : ' automatically (timed out)'} at ${entry.respondedAt ?? '?'}`;
      lines.push(`  ${t(entry.actionId)}: requested ${entry.requestedAt}, ${answer}`);
    }
  }
  if (state.error) lines.push('plan error:', ...describeError(state.error));
  if (state.status === 'paused_for_confirmation') {
    for (const id of open.keys()) lines.push(`answer: action-executor plan confirm ${t(state.planId)} ${t(id)} [--reject] [--user ID]`);
  }
  return lines;
}

/** The plan's own journal: every event and decision, for `plan show`. */
export function planTimelineLines(transitions: readonly TransitionRecord[]): string[] {
  const start = transitions[0]?.at ?? 0;
  return transitions.map((transition) => {
    const data = (transition.data ?? {}) as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of ['actionId', 'start', 'requestConfirmations', 'confirmationTimeouts', 'cancelRunning', 'userId', 'code', 'reason'] as const) {
      const value = data[key];
      if (value === undefined) continue;
      const text = (item: unknown): string => t(typeof item === 'string' ? item : JSON.stringify(item));
      parts.push(`${key} ${Array.isArray(value) ? value.map(text).join(', ') : text(value)}`);
    }
    const change = transition.from === transition.to ? t(transition.to) : `${t(transition.from)} → ${t(transition.to)}`;
    return `${`+${ms(transition.at - start)}`.padStart(9)}  ${transition.event.padEnd(22)} ${change}${parts.length > 0 ? `  (${parts.join('; ')})` : ''}`;
  });
}

/** The dry run: order, then each action's request. */
export function dryRunLines(dry: PlanDryRun): string[] {
  const lines = [`dry run of plan ${t(dry.planId)} "${t(dry.name)}": valid; nothing is sent and nothing is journaled`];
  dry.levels.forEach((ids, level) => lines.push(`  level ${level}: ${ids.map(t).join(', ')}`));
  const alternatives = dry.actions.filter((entry) => entry.alternativeFor !== undefined);
  if (alternatives.length > 0) lines.push(`  alternatives: ${alternatives.map((entry) => `${t(entry.actionId)} (in place of ${t(entry.alternativeFor ?? '')})`).join(', ')}`);
  for (const entry of dry.actions) {
    lines.push('', `${t(entry.actionId)} (${t(entry.definitionId)})${entry.dependencies.length > 0 ? ` after ${entry.dependencies.map(t).join(', ')}` : ''}`);
    if (entry.condition) lines.push(`  if ${t(entry.condition)}`);
    if (entry.confirmation) lines.push(`  asks for confirmation: "${t(entry.confirmation.title)}" — ${t(entry.confirmation.message)}${entry.confirmation.timeoutMs === undefined ? '' : ` (rejected automatically after ${ms(entry.confirmation.timeoutMs)})`}`);
    const request = entry.request;
    if (request) {
      lines.push(`  ${request.method} ${t(request.url)}`);
      for (const [name, value] of Object.entries(request.headers)) lines.push(`  ${t(name)}: ${t(value)}`);
      if (request.authentication) lines.push(`  + ${t(request.authentication)}`);
      if (request.body !== undefined) lines.push(`  body: ${t(request.body)}`);
    }
    if (entry.unresolved.length > 0) lines.push(`  resolved when the plan runs: ${entry.unresolved.map(t).join(', ')}`);
    for (const problem of entry.problems) lines.push(`  problem: ${t(problem)}`);
  }
  return lines;
}

/** The plans part of `resume --all`. */
export function planResumeLine(report: PlanResumeReport): string[] {
  const lines = [`plans: ${report.plans} unfinished: ${report.completed} completed, ${report.failed} failed, ${report.cancelled} cancelled, ${report.paused} paused for confirmation; ${plural(report.timeoutsFired, 'confirmation timeout')} fired; ${report.busy} held by another process`];
  for (const error of report.errors) lines.push(`  plan ${t(error.planId)}: ${t(error.message)}`);
  return lines;
}
