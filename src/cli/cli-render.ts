/**
 * Human output of the CLI: progress while an action runs, the final state, and the journal timeline
 * of `show`. Everything printed comes from the journal or the (already redacted) state. Ids and API
 * texts go through escapeForTerminal (`t` below): they are data from elsewhere, and a control
 * character in them must show as an escape, not act on the terminal.
 */
import type { ActionExecutionState } from '../schemas/execution-state.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { AttemptOutcome } from '../http/http-types.ts';
import type { AttemptRecord, TransitionRecord } from '../../storage/journal.ts';
import type { CheckedExecutionState, ExecutionTimeline, TransitionInfo } from '../execution/executor.ts';
import { escapeForTerminal as t, terminalLines } from '../support/terminal-text.ts';

const ms = (value: number): string => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** One line describing an attempt from its journal record. */
export function describeAttempt(record: Pick<AttemptRecord, 'attempt' | 'request' | 'outcome'>): string {
  const request = record.request as { method?: string; url?: string } | null;
  const head = `attempt ${record.attempt}: ${t(request?.method ?? '?')} ${t(request?.url ?? '?')}`;
  const outcome = record.outcome as AttemptOutcome | null;
  if (!outcome) return `${head} → in flight (no outcome recorded)`;
  if (outcome.kind === 'response') {
    const problem = outcome.body.problem ? ` (${t(outcome.body.problem.code ?? 'malformed body')})` : '';
    return `${head} → ${outcome.status}${problem} in ${ms(outcome.durationMs)}`;
  }
  return `${head} → ${t(outcome.error.code ?? outcome.error.category)} in ${ms(outcome.durationMs)}: ${t(outcome.error.message)}`;
}

/** Lines to print for one transition while `execute` runs. */
export function progressLines(info: TransitionInfo, now: number): string[] {
  const lines: string[] = [];
  if (info.to === 'classifying') {
    if (info.attemptRecord) lines.push(`  ${describeAttempt(info.attemptRecord)}`);
  } else if (info.to === 'backingOff' && info.context.nextAttemptAt !== null) {
    lines.push(`  waiting ${ms(Math.max(0, info.context.nextAttemptAt - now))}: ${t(info.context.waitReason ?? '')}`);
  } else if (info.to === 'requesting' && info.from === 'classifying') {
    lines.push(`  ${t(info.context.waitReason ?? 'repeating the request')}`);
  }
  lines.push(`  ${info.from} → ${info.to}`);
  return lines;
}

export function describeError(error: ErrorDetail): string[] {
  const lines = [`  error: ${t(error.category)}${error.code ? ` (${t(error.code)})` : ''}${error.statusCode ? `, HTTP ${error.statusCode}` : ''}, ${error.retryable ? 'retryable' : 'not retryable'}`];
  lines.push(...terminalLines(error.message).map((line) => `    ${line}`));
  if (error.retryAfter) lines.push(`  retry after: ${t(error.retryAfter)}`);
  if (error.suggestion) lines.push(`  suggestion: ${t(error.suggestion)}`);
  const context = Object.entries(error.context);
  if (context.length > 0) lines.push(`  context: ${context.map(([k, v]) => `${t(k)}=${t(v.length > 120 ? `${v.slice(0, 117)}...` : v)}`).join(', ')}`);
  return lines;
}

/** The final summary of an execution. */
export function describeState(state: ActionExecutionState): string[] {
  const took = state.duration !== undefined ? ` in ${ms(state.duration)}` : '';
  const lines = [`${state.status === 'failed' ? '✗' : '✓'} ${t(state.actionId)}: ${state.status}${took} after ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}`];
  const result = state.result;
  if (result?.status === 'success') {
    const fields = Object.entries(result.output);
    for (const [name, value] of fields.slice(0, 12)) lines.push(`  output.${t(name)} = ${t(value.length > 100 ? `${value.slice(0, 97)}...` : value)}`);
    if (fields.length > 12) lines.push(`  … ${fields.length - 12} more output fields`);
    const warning = (state as CheckedExecutionState).storageWarning;
    // A stored output that is gone or changed is reported as such, never described as stored.
    if (warning) lines.push(`  warning: ${t(warning.message)}`);
    else lines.push(`  stored at ${t(result.outputLocation.path)} (${result.outputLocation.size} bytes, sha256 ${t(result.outputLocation.checksum.slice(0, 12))}…)`);
  } else if (result?.status === 'failure') {
    lines.push(...describeError(result.error));
  } else if (result?.status === 'skipped') {
    lines.push(`  reason: ${t(result.reason)}`);
  }
  return lines;
}

/** The journal timeline of one execution, for `show`. */
export function timelineLines(timeline: ExecutionTimeline): string[] {
  const { summary } = timeline;
  const start = Date.parse(summary.createdAt);
  const at = (time: number): string => `+${ms(time - start)}`.padStart(9);
  const events: { time: number; order: number; line: string }[] = [];
  timeline.transitions.forEach((tr: TransitionRecord) => {
    const context = (tr.snapshot as { context?: { waitReason?: string | null; nextAttemptAt?: number | null } } | null)?.context;
    const wait = tr.to === 'backingOff' && context?.nextAttemptAt ? ` (until ${new Date(context.nextAttemptAt).toISOString()}: ${t(context.waitReason ?? '')})` : '';
    events.push({ time: tr.at, order: tr.seq * 2, line: `${at(tr.at)}  ${t(tr.from)} → ${t(tr.to)} [${t(tr.event)}]${wait}` });
  });
  timeline.attempts.forEach((a) => {
    events.push({ time: a.finishedAt ?? a.startedAt, order: Number.MAX_SAFE_INTEGER, line: `${at(a.finishedAt ?? a.startedAt)}  ${describeAttempt(a)}` });
  });
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  return [
    `execution ${t(summary.executionId)} / ${t(summary.actionId)}: ${summary.status} (${t(summary.state)}), ${summary.attempts} attempt(s), started ${summary.createdAt}`,
    ...events.map((e) => e.line),
  ];
}

/**
 * While a long wait runs (a backoff longer than `everyMs`), prints a line every `everyMs` saying how
 * long is left, so a person watching knows the executor is alive. `follow(null)` stops it.
 */
export function waitTicker(print: (line: string) => void, now: () => number, everyMs = 5_000) {
  let timer: NodeJS.Timeout | undefined;
  return {
    follow(until: number | null): void {
      clearInterval(timer);
      timer = undefined;
      if (until === null || until - now() <= everyMs) return;
      timer = setInterval(() => {
        const left = until - now();
        if (left > 0) print(`  … still waiting, ${Math.ceil(left / 1000)} s left`);
      }, everyMs);
      timer.unref();
    },
  };
}
