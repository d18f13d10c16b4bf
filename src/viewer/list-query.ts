/**
 * The executions list's query string (`?status=failed,running&definition=get-user&q=7d3f&limit=25&offset=50`),
 * parsed into `executor.list` options. A bad value is a 400 that names the parameter and what it takes.
 */
import type { ExecutionStatus } from '../../storage/journal.ts';
import { HttpError } from './http-io.ts';

export const STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'completed', 'failed', 'skipped'];

export const LIST_PAGE = { defaultLimit: 25, maxLimit: 200 } as const;

export interface ListQuery {
  statuses: ExecutionStatus[];
  definitionId?: string;
  search?: string;
  limit: number;
  offset: number;
}

/** An integer query parameter from `min` to `max`; a bad one is a 400 naming it. */
export function integer(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `query parameter ${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`, 'BAD_QUERY');
  }
  return value;
}

/** A text query parameter (trimmed, at most 200 characters); undefined when empty. */
export function text(params: URLSearchParams, name: string): string | undefined {
  const raw = params.get(name)?.trim();
  if (!raw) return undefined;
  if (raw.length > 200) throw new HttpError(400, `query parameter ${name}: at most 200 characters, got ${raw.length}`, 'BAD_QUERY');
  return raw;
}

export function parseListQuery(params: URLSearchParams): ListQuery {
  const statuses: ExecutionStatus[] = [];
  for (const raw of params.getAll('status').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!(STATUSES as readonly string[]).includes(raw)) throw new HttpError(400, `query parameter status: ${JSON.stringify(raw)} is not one of ${STATUSES.join(', ')}`, 'BAD_QUERY');
    if (!statuses.includes(raw as ExecutionStatus)) statuses.push(raw as ExecutionStatus);
  }
  const definitionId = text(params, 'definition');
  const search = text(params, 'q');
  return {
    statuses,
    ...(definitionId ? { definitionId } : {}),
    ...(search ? { search } : {}),
    limit: integer(params, 'limit', LIST_PAGE.defaultLimit, 1, LIST_PAGE.maxLimit),
    offset: integer(params, 'offset', 0, 0, 1_000_000_000),
  };
}

/** A canonical key of a query, so pages watching the same list share one poll. */
export function listQueryKey(query: ListQuery): string {
  return JSON.stringify([[...query.statuses].sort(), query.definitionId ?? '', query.search ?? '', query.limit, query.offset]);
}
