/**
 * Replay's sentences: a decision in words ("the 403 is rate_limit_burst, retryable → would retry
 * after 60 s"), the sentence of a divergence, and the line of each what-if step that follows it.
 * Built from the events alone — the recorded and the replayed side are described the same way.
 */
import type { StepTransition } from './replay-report.ts';

/** A payload field as text ('' when absent or not a string or number). */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** `1500 ms`, `60 s`, `2.5 s`: the unit a person would say. */
export function spokenDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  return Number.isInteger(seconds) ? `${seconds} s` : `${seconds.toFixed(1)} s`;
}

interface ErrorFields {
  category?: string;
  code?: string;
  statusCode?: number;
  retryable?: boolean;
  message?: string;
  context?: Record<string, string>;
}

const REFUSALS: Record<string, (context: Record<string, string>) => string> = {
  not_retryable: () => 'not retryable',
  category_not_in_policy: () => 'retryable, but not in retryPolicy.retryableErrors',
  attempts_exhausted: (c) => (c.maxAttempts === '1' ? 'retryable, but maxAttempts is 1' : `retryable, but all ${c.maxAttempts ?? 'its'} attempts are used`),
  unsafe_to_repeat: () => 'not safe to repeat',
  server_delay_exceeds_max_delay: () => 'retryable, but the server asks to wait longer than maxDelay',
};

function errorOf(data: Record<string, unknown>): ErrorFields {
  const error = data.error;
  return error !== null && typeof error === 'object' ? (error) : {};
}

/** `503 api_unexpected_status is retryable …` → `{ subject: '503', category: 'api_unexpected_status' }`. */
function retryLabel(reason: string): { subject?: string; category?: string } {
  const match = /^(?:(\d{3}) ([a-z_]+)|([A-Z][A-Z0-9_]*) \(([a-z_]+)\)|([a-z_]+)) is retryable/.exec(reason);
  if (!match) return {};
  const subject = match[1] ?? match[3];
  const category = match[2] ?? match[4] ?? match[5];
  return { ...(subject ? { subject } : {}), ...(category ? { category } : {}) };
}

/** The outcome a classifying step decided about: its status or network error code, and what it was classified as. */
export interface Decision {
  /** `403`, `REQUEST_TIMEOUT`; absent for a success or when unknown. */
  subject?: string;
  /** `rate_limit_burst, retryable`, `success`. */
  classification: string;
  would: string;
  did: string;
}

/** What a step decided, in words. */
export function decisionOf(step: StepTransition): Decision {
  const { data } = step;
  switch (step.event) {
    case 'RETRY': {
      const label = retryLabel(text(data.reason));
      const after = spokenDuration(Number(data.delayMs ?? 0));
      return { ...(label.subject ? { subject: label.subject } : {}), classification: `${label.category ?? 'an error'}, retryable`, would: `would retry after ${after}`, did: `retried after ${after}` };
    }
    case 'FAILED': {
      const error = errorOf(data);
      const subject = error.statusCode !== undefined ? String(error.statusCode) : error.code;
      const refusal = error.context?.retryRefusedBecause;
      const retry = refusal && REFUSALS[refusal] ? REFUSALS[refusal](error.context ?? {}) : error.retryable ? 'retryable' : 'not retryable';
      const classification = `${error.category ?? 'an error'}${error.code && error.code !== subject ? ` (${error.code})` : ''}, ${retry}`;
      return { ...(subject ? { subject } : {}), classification, would: 'would fail', did: 'failed' };
    }
    case 'SUCCEEDED':
      return { classification: 'a success', would: 'would store the output', did: 'stored the output' };
    case 'REFRESH_AUTH':
      return { classification: 'auth_expired on a refreshable credential', would: 'would refresh it once and repeat', did: 'refreshed it and repeated' };
    case 'RESOLVED':
      return { classification: 'resolved', would: 'would resolve its inputs', did: 'resolved its inputs' };
    case 'SKIPPED':
      return { classification: 'skipped', would: `would be skipped (${text(data.reason)})`, did: 'was skipped' };
    case 'VALIDATED':
      return { classification: 'valid', would: 'would pass validation', did: 'passed validation' };
    case 'SENT':
      return { classification: 'sent', would: `would use attempt ${text(data.attempt)}'s recorded outcome`, did: `used attempt ${text(data.attempt)}` };
    case 'THROTTLED': {
      const wait = spokenDuration(Number(data.delayMs ?? 0));
      return { classification: 'throttled', would: `would wait ${wait} for the client-side rate limit`, did: `waited ${wait} for the client-side rate limit` };
    }
    case 'WAITED':
      return { classification: 'waited', would: 'would wait and send again', did: 'waited' };
    case 'STORED':
      return { classification: 'stored', would: 'would store the output', did: 'stored the output' };
    case 'CANCEL':
      return { classification: 'cancelled', would: 'would be cancelled', did: 'was cancelled' };
    default:
      return { classification: step.event, would: `would take ${step.event}`, did: `took ${step.event}` };
  }
}

/** Where a step is, for a person: `attempt 2` while requesting or classifying, else the state. */
export function whereOf(step: StepTransition, attempt: number | undefined): string {
  return attempt !== undefined && (step.from === 'classifying' || step.from === 'requesting') ? `attempt ${attempt}` : step.from;
}

/** The first line of an error message, shortened: enough to say what failed. */
function firstLine(message: string | undefined): string {
  const line = (message ?? '').split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

/**
 * The sentence of a divergence: `attempt 2: with this catalog the 403 is rate_limit_burst, retryable →
 * would retry after 60 s; it was auth_invalid, not retryable → failed`.
 */
export function divergenceSentence(where: string, source: string, replayed: StepTransition, recorded: StepTransition): string {
  const now = decisionOf(replayed);
  const then = decisionOf(recorded);
  const subject = now.subject ?? then.subject;
  const classifying = replayed.from === 'classifying';
  const lead = `${where}: ${source}`;
  if (classifying) {
    const is = subject ? `the ${subject} is ${now.classification}` : `the outcome is ${now.classification}`;
    return `${lead} ${is} → ${now.would}; it was ${then.classification} → ${then.did}`;
  }
  const why = replayed.event === 'FAILED' ? ` (${firstLine(errorOf(replayed.data).message)})` : '';
  return `${lead} it ${now.would}${why} → ${replayed.to}; it ${then.did} → ${recorded.to}`;
}

/** A field's value for a sentence: short text quoted, anything else as compact JSON, both cut at 120 characters. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? 'nothing';
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** Two long texts that differ in a few words are shown as just those words, with a little context. */
function differingParts(a: unknown, b: unknown): [string, string] {
  if (typeof a !== 'string' || typeof b !== 'string' || (a.length <= 60 && b.length <= 60)) return [shown(a), shown(b)];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end += 1;
  // A word or two of context on each side, cut at spaces.
  const from = start <= 12 ? 0 : a.lastIndexOf(' ', start - 12) + 1;
  const cut = (text: string): string => {
    const after = text.indexOf(' ', text.length - end + 10);
    const to = after === -1 ? text.length : after;
    return `"${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}"`;
  };
  return [cut(a), cut(b)];
}

function fieldValue(data: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, name) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined), data);
}

/** The sentence of the same decision with another payload (another delay, error or output). */
export function detailSentence(where: string, source: string, replayed: StepTransition, recorded: StepTransition, fields: readonly string[]): string {
  const now = decisionOf(replayed);
  const then = decisionOf(recorded);
  // Words that differ (another delay, another category) say it best; else show the fields.
  if (`${now.classification} ${now.did}` !== `${then.classification} ${then.did}`) return divergenceSentence(where, source, replayed, recorded);
  const changes = fields.slice(0, 3).map((field) => {
    const [now, was] = differingParts(fieldValue(replayed.data, field), fieldValue(recorded.data, field));
    return `${field} ${now} (was ${was})`;
  });
  const more = fields.length > 3 ? ` and ${fields.length - 3} more field(s)` : '';
  return `${where}: ${source} the same decision (${replayed.event} → ${replayed.to}) with a different ${changes.join('; ')}${more}`;
}

/** One what-if step after the first divergence; `waitMs` is the wait a backingOff step would make. */
export function followUpLine(step: StepTransition, attempt: number | undefined, waitMs?: number): string {
  const decision = decisionOf(step);
  const where = whereOf(step, attempt);
  const what =
    step.from === 'classifying' ? `${decision.subject ? `the ${decision.subject} is ` : ''}${decision.classification} → ${decision.would}`
    : step.event === 'WAITED' && waitMs !== undefined ? `would wait ${spokenDuration(waitMs)}, then send again`
    : decision.would;
  return `${where}: ${what} (${step.from} → ${step.to})`;
}
