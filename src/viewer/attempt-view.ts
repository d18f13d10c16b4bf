/**
 * One journaled HTTP attempt as the execution page shows it: the (already redacted) request, the
 * response's status, headers and a bounded body preview — or the network error — and its duration.
 * Reads the journal's records defensively: a field of an unexpected shape is left out, never thrown on.
 */
import type { AttemptRecord } from '../../storage/journal.ts';

/** Characters of a body kept in a preview; the page says when it cut one. */
export const BODY_PREVIEW_CHARS = 4000;

export interface BodyPreview {
  contentType: string;
  kind: string;
  size: number;
  /** Text (JSON pretty-printed), at most {@link BODY_PREVIEW_CHARS} characters. */
  text?: string;
  truncated: boolean;
  /** Where a large or binary body was stored instead of being kept in the journal. */
  storedAt?: string;
  /** A decode or parse problem the attempt layer recorded (INVALID_JSON, INVALID_ENCODING). */
  problem?: string;
}

/** How the attempt was judged, and why it was (or was not) repeated. */
export interface AttemptClassification {
  outcome: 'succeeded' | 'retried' | 'refreshed_auth' | 'failed' | 'cancelled' | 'pending';
  category?: string;
  code?: string;
  retryable?: boolean;
  /** The retry decision's own words (`503 … is retryable and GET is idempotent; …`) or the error's message. */
  why: string;
  /** Which condition of the retry rule refused a retry (`attempts_exhausted`, `unsafe_to_repeat`, …). */
  refusedBecause?: string;
  suggestion?: string;
}

export interface AttemptView {
  attempt: number;
  state: string;
  idempotencyKey: string | null;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string; bodyTruncated?: boolean };
  response?: { status: number; headers: Record<string, string>; body?: BodyPreview };
  error?: { category: string; code?: string; message: string; phase?: string; reachedServer?: string };
  redirects: string[];
  classification: AttemptClassification;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));

function cut(text: string): { text: string; truncated: boolean } {
  return text.length > BODY_PREVIEW_CHARS ? { text: text.slice(0, BODY_PREVIEW_CHARS), truncated: true } : { text, truncated: false };
}

/** A bounded preview of a recorded response body. */
export function bodyPreview(body: unknown): BodyPreview | undefined {
  const b = obj(body);
  if (!b) return undefined;
  const kind = str(b.kind) ?? 'unknown';
  const preview: BodyPreview = { contentType: str(b.contentType) ?? '', kind, size: num(b.size) ?? 0, truncated: false };
  const location = obj(b.location);
  if (location && str(location.path)) preview.storedAt = str(location.path)!;
  const problem = obj(b.problem);
  if (problem) preview.problem = [str(problem.code), str(problem.message)].filter(Boolean).join(': ');
  let text: string | undefined;
  if (kind === 'json' && 'json' in b) text = JSON.stringify(b.json, null, 2);
  else if (str(b.text) !== undefined) text = str(b.text);
  else if (str(b.base64) !== undefined) text = `(binary, base64) ${str(b.base64)}`;
  if (text !== undefined) Object.assign(preview, cut(text));
  return preview;
}

/** The attempt record as the page shows it; `classification` comes from the transition that judged it. */
export function attemptView(record: AttemptRecord, classification: AttemptClassification | undefined): AttemptView {
  const request = obj(record.request) ?? {};
  const outcome = obj(record.outcome);
  const view: AttemptView = {
    attempt: record.attempt,
    state: record.state,
    idempotencyKey: record.idempotencyKey,
    startedAt: new Date(record.startedAt).toISOString(),
    request: { method: str(request.method) ?? '?', url: str(request.url) ?? '?', headers: strings(request.headers) },
    redirects: Array.isArray(outcome?.redirects) ? outcome.redirects.filter((u): u is string => typeof u === 'string') : [],
    classification: classification ?? { outcome: 'pending', why: record.state === 'in_flight' ? 'sent; no outcome recorded yet (in flight, or in doubt after a crash)' : 'outcome recorded; not classified yet' },
  };
  const body = str(request.body);
  if (body !== undefined) {
    const c = cut(body);
    view.request.body = c.text;
    if (c.truncated) view.request.bodyTruncated = true;
  }
  if (record.finishedAt !== null) view.finishedAt = new Date(record.finishedAt).toISOString();
  const duration = num(outcome?.durationMs);
  if (duration !== undefined) view.durationMs = duration;
  if (outcome?.kind === 'response') {
    const preview = bodyPreview(outcome.body);
    view.response = { status: num(outcome.status) ?? 0, headers: strings(outcome.headers), ...(preview ? { body: preview } : {}) };
  } else if (outcome?.kind === 'network_error') {
    const error = obj(outcome.error) ?? {};
    view.error = {
      category: str(error.category) ?? 'unknown',
      message: str(error.message) ?? '',
      ...(str(error.code) ? { code: str(error.code)! } : {}),
      ...(str(outcome.phase) ? { phase: str(outcome.phase)! } : {}),
      ...(str(outcome.reachedServer) ? { reachedServer: str(outcome.reachedServer)! } : {}),
    };
    const status = num(outcome.status);
    if (status !== undefined) view.response = { status, headers: strings(outcome.headers) };
  }
  return view;
}
