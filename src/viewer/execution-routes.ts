/**
 * The executions feature of the viewer: the list page and the execution page, their JSON, their live
 * streams, and the Cancel and Resume buttons' POSTs. Everything read comes from the journal through the
 * executor (`list`, `timeline`, `journal.get`) and is redacted once more before it is served.
 */
import { isTerminalStatus, type ExecutionKey } from '../../storage/journal.ts';
import { isActionError } from '../failure/errors.ts';
import { z } from 'zod';
import { executionView, type ExecutionView } from './execution-view.ts';
import { HttpError, readJsonBody, sendJson } from './http-io.ts';
import { listQueryKey, parseListQuery, STATUSES, type ListQuery } from './list-query.ts';
import type { WatchSource } from './live-feed.ts';
import type { RouteContext } from './route-table.ts';
import type { ViewerContext, ViewerExtension } from './viewer-context.ts';

const CancelBodySchema = z.object({ reason: z.string().max(500).optional() }).strict();

const keyOf = (params: RouteContext['params']): ExecutionKey => ({ executionId: params.executionId ?? '', actionId: params.actionId ?? '' });
const describeKey = (key: ExecutionKey): string => `${key.executionId} / ${key.actionId}`;

/** Notes the viewer adds to an execution's page (a resume it started that failed at once, say). */
type Notes = Map<string, { at: string; message: string }>;
const noteKey = (key: ExecutionKey): string => `${key.executionId}\u0000${key.actionId}`;

async function loadView(viewer: ViewerContext, key: ExecutionKey, notes: Notes): Promise<(ExecutionView & { note?: { at: string; message: string } }) | undefined> {
  const [timeline, record] = await Promise.all([viewer.executor.timeline(key.executionId, key.actionId), viewer.executor.journal.get(key)]);
  if (!timeline || !record) return undefined;
  const view = executionView({ timeline, lease: record.lease, ownerId: viewer.executor.journal.owner.id, now: viewer.clock.now() });
  const note = notes.get(noteKey(key));
  return viewer.redact(note ? { ...view, note } : view);
}

async function loadList(viewer: ViewerContext, query: ListQuery) {
  const { executions, total } = await viewer.executor.list({
    ...(query.statuses.length > 0 ? { status: query.statuses } : {}),
    ...(query.definitionId ? { definitionId: query.definitionId } : {}),
    ...(query.search ? { search: query.search } : {}),
    limit: query.limit,
    offset: query.offset,
  });
  const definitions = [...new Set([...viewer.definitionIds, ...executions.map((e) => e.definitionId)])].sort();
  return viewer.redact({ executions, total, limit: query.limit, offset: query.offset, statuses: STATUSES, definitions });
}

function executionSource(viewer: ViewerContext, key: ExecutionKey, notes: Notes): WatchSource {
  return {
    async read() {
      const record = await viewer.executor.journal.get(key);
      if (!record) return undefined;
      // One row read per tick; the lease's liveness is part of it, so a crashed driver's page turns
      // Resume on by itself when its lease runs out.
      const live = record.lease !== null && record.lease.expiresAt > viewer.clock.now();
      const fingerprint = [record.updatedAt, record.stateValue, record.status, record.attemptCount, live, record.lease?.id ?? '', notes.get(noteKey(key))?.at ?? ''].join('|');
      return { fingerprint, load: () => loadView(viewer, key, notes) };
    },
  };
}

function listSource(viewer: ViewerContext, query: ListQuery): WatchSource {
  return {
    async read() {
      const page = await loadList(viewer, query);
      return { fingerprint: JSON.stringify(page), load: async () => page };
    },
  };
}

/** Registers the executions pages, API and streams. */
export const executionRoutes: ViewerExtension = (viewer) => {
  const notes: Notes = new Map();
  const requireExecution = async (key: ExecutionKey) => {
    const record = await viewer.executor.journal.get(key);
    if (!record) throw new HttpError(404, `no execution ${describeKey(key)} in the journal`, 'UNKNOWN_EXECUTION');
    return record;
  };

  viewer.routes
    .add('GET', '/', ({ res }) => viewer.page(res, 'index'))
    .add('GET', '/executions/:executionId/:actionId', ({ res }) => viewer.page(res, 'execution'))
    .add('GET', '/api/executions', async ({ res, url }) => sendJson(res, 200, await loadList(viewer, parseListQuery(url.searchParams))))
    .add('GET', '/api/executions/stream', ({ req, res, url }) => {
      const query = parseListQuery(url.searchParams);
      const stream = viewer.openStream(req, res);
      stream.onClose(viewer.feed.watch(`list:${listQueryKey(query)}`, listSource(viewer, query), (page) => stream.send('list', page)));
    })
    .add('GET', '/api/executions/:executionId/:actionId', async ({ res, params }) => {
      const key = keyOf(params);
      const view = await loadView(viewer, key, notes);
      if (!view) throw new HttpError(404, `no execution ${describeKey(key)} in the journal`, 'UNKNOWN_EXECUTION');
      sendJson(res, 200, view);
    })
    .add('GET', '/api/executions/:executionId/:actionId/stream', async ({ req, res, params }) => {
      const key = keyOf(params);
      await requireExecution(key);
      const stream = viewer.openStream(req, res);
      stream.onClose(viewer.feed.watch(`execution:${noteKey(key)}`, executionSource(viewer, key, notes), (view) => stream.send('execution', view)));
    })
    .add('POST', '/api/executions/:executionId/:actionId/cancel', async ({ req, res, params }) => {
      const key = keyOf(params);
      const parsed = CancelBodySchema.safeParse(await readJsonBody(req, 16 * 1024, `cancel ${describeKey(key)}`));
      if (!parsed.success) throw new HttpError(400, `cancel ${describeKey(key)}: the body must be {"reason"?: string}: ${parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ')}`, 'BAD_BODY');
      const record = await requireExecution(key);
      if (isTerminalStatus(record.status)) throw new HttpError(409, `execution ${describeKey(key)} already ended (${record.status}); there is nothing to cancel`, 'ALREADY_ENDED');
      try {
        const state = await viewer.executor.cancel(key.executionId, key.actionId, parsed.data.reason ?? 'cancelled from the viewer');
        sendJson(res, 200, viewer.redact({ state }));
      } catch (error) {
        if (isActionError(error) && error.detail.code === 'LEASE_HELD') {
          throw new HttpError(409, `${error.detail.message} The viewer can cancel an execution only when no other live process drives it: stop that process (Ctrl-C), or wait for it.`, 'LEASE_HELD');
        }
        throw error;
      }
    })
    .add('POST', '/api/executions/:executionId/:actionId/resume', async ({ req, res, params }) => {
      const key = keyOf(params);
      await readJsonBody(req, 16 * 1024, `resume ${describeKey(key)}`);
      const record = await requireExecution(key);
      if (isTerminalStatus(record.status)) throw new HttpError(409, `execution ${describeKey(key)} already ended (${record.status}); there is nothing to resume`, 'ALREADY_ENDED');
      const lease = record.lease;
      if (lease && lease.expiresAt > viewer.clock.now()) {
        const who = lease.id === viewer.executor.journal.owner.id ? 'this viewer' : `pid ${lease.pid} on ${lease.host}`;
        throw new HttpError(409, `execution ${describeKey(key)} is being driven by ${who} (lease until ${new Date(lease.expiresAt).toISOString()}); it needs no resume`, 'LEASE_HELD');
      }
      notes.delete(noteKey(key));
      // A resume runs as long as the execution does (a backoff may be hours): answer now, and let the
      // page follow it through the journal. A failure to start is put on the page as a note.
      viewer.background(
        `resume ${describeKey(key)}`,
        viewer.executor.resume(key.executionId, key.actionId).catch((error: unknown) => {
          // Bounded like everything the viewer keeps: the oldest note goes first.
          if (notes.size >= 500) notes.delete(notes.keys().next().value ?? '');
          notes.set(noteKey(key), { at: new Date(viewer.clock.now()).toISOString(), message: `resume failed: ${error instanceof Error ? error.message : String(error)}` });
          throw error;
        }),
      );
      sendJson(res, 202, { started: true, executionId: key.executionId, actionId: key.actionId });
    });
};
