/**
 * The execution page's model, built from the journal alone (`executor.timeline` and the record's
 * lease): every transition with its time, event and payload; every attempt with how it was judged and
 * why it was or was not repeated; every wait with its reason and deadline; the path taken through the
 * machine; and which buttons apply. Pure, so every rule here is tested without a server.
 */
import type { ExecutionTimeline } from '../execution/executor-api.ts';
import type { HeldLease } from '../../storage/journal.ts';
import { isTerminalStatus } from '../../storage/journal.ts';
import { attemptView, type AttemptClassification, type AttemptView } from './attempt-view.ts';

/** Transitions sent to a page at most; a longer history keeps its newest ones and says how many it left out. */
export const MAX_TRANSITIONS = 1000;

export interface WaitView {
  /** The transition that started the wait. */
  seq: number;
  kind: 'retry' | 'rate_limit';
  reason: string;
  delayMs: number;
  /** The deadline (ISO). */
  until: string;
  /** When the wait ended (by WAITED, CANCEL or FAILED), if it has. */
  endedAt?: string;
  endedBy?: string;
}

export interface TransitionView {
  seq: number;
  at: string;
  /** ms since the execution's first transition. */
  offsetMs: number;
  from: string;
  to: string;
  event: string;
  /** `from|EVENT|to`: the diagram edge it took. */
  edge: string;
  /** The event's payload and the facts the effect observed, as journaled (redacted). */
  data: unknown;
  /** One line for the timeline. */
  summary: string;
}

export interface LeaseView {
  holder: 'none' | 'this viewer' | 'another process';
  pid?: number;
  host?: string;
  expiresAt?: string;
}

export interface ExecutionView {
  executionId: string;
  actionId: string;
  definitionId: string;
  status: string;
  state: string;
  terminal: boolean;
  attemptCount: number;
  createdAt: string;
  updatedAt: string;
  wakeAt?: string;
  lease: LeaseView;
  /** Which buttons apply: cancel while not terminal; resume while not terminal and no live process drives it. */
  actions: { cancel: boolean; resume: boolean };
  path: { states: string[]; edges: Record<string, number>; current: string };
  transitions: TransitionView[];
  omittedTransitions: number;
  attempts: AttemptView[];
  waits: WaitView[];
  /** The `ActionExecutionState` as the journal records it now. */
  result: unknown;
  /** The viewer's clock when the view was built: pages count down waits from it, not from their own. */
  now: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (v: number): string => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** The attempt number a transition's snapshot was at. */
const attemptAt = (snapshot: unknown): number | undefined => num(obj(obj(snapshot)?.context)?.attempt);

function summarize(event: string, data: Json | undefined, to: string): string {
  switch (event) {
    case 'xstate.init':
      return 'execution created';
    case 'SENT':
      return `attempt ${num(data?.attempt) ?? '?'}: outcome recorded`;
    case 'RETRY':
    case 'THROTTLED':
      return `${event === 'RETRY' ? 'retry' : 'client-side rate limit'}: wait ${ms(num(data?.delayMs) ?? 0)} until ${iso(num(data?.until) ?? 0)} — ${str(data?.reason) ?? ''}`;
    case 'REFRESH_AUTH':
      return `refresh the credential and repeat — ${str(data?.reason) ?? ''}`;
    case 'FAILED': {
      const error = obj(data?.error);
      return `${str(error?.category) ?? 'failed'}${str(error?.code) ? ` (${str(error?.code)})` : ''}: ${str(error?.message) ?? ''}`;
    }
    case 'CANCEL':
      return `cancelled${str(data?.reason) ? `: ${str(data?.reason)}` : ''}${str(data?.cancelledIn) ? ` (in ${str(data?.cancelledIn)})` : ''}`;
    case 'SKIPPED':
      return `skipped: ${str(data?.reason) ?? ''}`;
    case 'SUCCEEDED':
      return `success: ${Object.keys(obj(data?.output) ?? {}).length} output field(s)`;
    case 'STORED':
      return `output stored at ${str(obj(data?.location)?.path) ?? '?'}`;
    default:
      return `→ ${to}`;
  }
}

/** How the transition out of `classifying` judged the attempt it consumed. */
function classificationOf(event: string, data: Json | undefined): AttemptClassification {
  switch (event) {
    case 'SUCCEEDED':
      return { outcome: 'succeeded', why: 'the response was a success and its output is valid' };
    case 'RETRY':
      return { outcome: 'retried', retryable: true, why: str(data?.reason) ?? 'retryable' };
    case 'REFRESH_AUTH':
      return { outcome: 'refreshed_auth', why: str(data?.reason) ?? 'expired credential: refreshed once and repeated' };
    case 'CANCEL':
      return { outcome: 'cancelled', why: summarize(event, data, 'failed') };
    default: {
      const error = obj(data?.error);
      const context = obj(error?.context);
      return {
        outcome: 'failed',
        why: str(error?.message) ?? 'failed',
        ...(str(error?.category) ? { category: str(error?.category)! } : {}),
        ...(str(error?.code) ? { code: str(error?.code)! } : {}),
        ...(typeof error?.retryable === 'boolean' ? { retryable: error.retryable } : {}),
        ...(str(context?.retryRefusedBecause) ? { refusedBecause: str(context?.retryRefusedBecause)! } : {}),
        ...(str(error?.suggestion) ? { suggestion: str(error?.suggestion)! } : {}),
      };
    }
  }
}

function leaseView(lease: HeldLease | null, now: number, ownerId: string): LeaseView {
  if (!lease || lease.expiresAt <= now) return { holder: 'none' };
  return { holder: lease.id === ownerId ? 'this viewer' : 'another process', pid: lease.pid, host: lease.host, expiresAt: iso(lease.expiresAt) };
}

export interface ExecutionViewInput {
  timeline: ExecutionTimeline;
  /** The execution record's lease (`journal.get(key).lease`). */
  lease: HeldLease | null;
  /** The viewer's journal owner id, to tell "this viewer" from "another process". */
  ownerId: string;
  now: number;
}

export function executionView({ timeline, lease, ownerId, now }: ExecutionViewInput): ExecutionView {
  const { summary, transitions } = timeline;
  const terminal = isTerminalStatus(summary.status);
  const first = transitions[0]?.at ?? 0;
  const edges: Record<string, number> = {};
  const states = new Set<string>();
  const classifications = new Map<number, AttemptClassification>();
  const waits: WaitView[] = [];
  const views: TransitionView[] = [];
  for (const t of transitions) {
    const data = obj(t.data);
    const edge = `${t.from}|${t.event}|${t.to}`;
    edges[edge] = (edges[edge] ?? 0) + 1;
    states.add(t.from).add(t.to);
    if (t.from === 'classifying') {
      const attempt = attemptAt(t.snapshot);
      if (attempt !== undefined) classifications.set(attempt, classificationOf(t.event, data));
    }
    const open = waits.at(-1);
    if (t.from === 'backingOff' && open && open.endedAt === undefined) Object.assign(open, { endedAt: iso(t.at), endedBy: t.event });
    if (t.to === 'backingOff') {
      waits.push({ seq: t.seq, kind: t.event === 'THROTTLED' ? 'rate_limit' : 'retry', reason: str(data?.reason) ?? '', delayMs: num(data?.delayMs) ?? 0, until: iso(num(data?.until) ?? t.at) });
    }
    views.push({ seq: t.seq, at: iso(t.at), offsetMs: t.at - first, from: t.from, to: t.to, event: t.event, edge, data: t.data, summary: summarize(t.event, data, t.to) });
  }
  states.delete('created');
  const lv = leaseView(lease, now, ownerId);
  const kept = views.slice(-MAX_TRANSITIONS);
  return {
    executionId: summary.executionId,
    actionId: summary.actionId,
    definitionId: summary.definitionId,
    status: summary.status,
    state: summary.state,
    terminal,
    attemptCount: summary.attempts,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    ...(summary.wakeAt ? { wakeAt: summary.wakeAt } : {}),
    lease: lv,
    actions: { cancel: !terminal, resume: !terminal && lv.holder === 'none' },
    path: { states: [...states], edges, current: summary.state },
    transitions: kept,
    omittedTransitions: views.length - kept.length,
    attempts: timeline.attempts.map((a) => attemptView(a, classifications.get(a.attempt))),
    waits,
    result: timeline.state,
    now: iso(now),
  };
}
