/**
 * The plans list's query string (`?status=paused_for_confirmation,running&q=0b7e&limit=25&offset=50`),
 * parsed into `listPlans` options. A bad value is a 400 that names the parameter and what it takes.
 */
import { PLAN_STATUSES, type PlanListQuery } from '../plans/plan-list.ts';
import type { PlanStatus } from '../plans/plan-scheduler.ts';
import { HttpError } from './http-io.ts';
import { integer, LIST_PAGE, text } from './list-query.ts';

/** What the plans routes pass to `listPlans`: always paged. */
export type PlanPageQuery = PlanListQuery & { limit: number; offset: number };

export function parsePlanListQuery(params: URLSearchParams): PlanPageQuery {
  const statuses: PlanStatus[] = [];
  for (const raw of params.getAll('status').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!(PLAN_STATUSES as readonly string[]).includes(raw)) throw new HttpError(400, `query parameter status: ${JSON.stringify(raw)} is not one of ${PLAN_STATUSES.join(', ')}`, 'BAD_QUERY');
    if (!statuses.includes(raw as PlanStatus)) statuses.push(raw as PlanStatus);
  }
  const search = text(params, 'q');
  return {
    ...(statuses.length > 0 ? { statuses } : {}),
    ...(search ? { search } : {}),
    limit: integer(params, 'limit', LIST_PAGE.defaultLimit, 1, LIST_PAGE.maxLimit),
    offset: integer(params, 'offset', 0, 0, 1_000_000_000),
  };
}

/** A canonical key of a query, so pages watching the same list share one poll. */
export function planListQueryKey(query: PlanPageQuery): string {
  return JSON.stringify([[...(query.statuses ?? [])].sort(), query.search ?? '', query.limit, query.offset]);
}
