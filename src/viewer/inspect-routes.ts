/**
 * The offline inspector feature of the viewer: `POST /api/inspect` takes the record batches that
 * `execute --inspect` sends (token-checked like every POST), and the inspector page shows each session
 * live on the machine diagram.
 */
import { HttpError, readJsonBody, sendJson } from './http-io.ts';
import { InspectBatchSchema } from './inspect-batch.ts';
import type { ViewerExtension } from './viewer-context.ts';

/** Bytes per inspection POST at most (a batch of up to 500 records). */
export const MAX_INSPECT_BODY = 1024 * 1024;

export const inspectRoutes: ViewerExtension = (viewer) => {
  viewer.routes
    .add('GET', '/inspect', ({ res }) => viewer.page(res, 'inspect'))
    .add('POST', '/api/inspect', async ({ req, res }) => {
      const parsed = InspectBatchSchema.safeParse(await readJsonBody(req, MAX_INSPECT_BODY, 'POST /api/inspect'));
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 5).map((i) => `$.${i.path.join('.')}: ${i.message}`);
        throw new HttpError(400, `POST /api/inspect: not an inspection batch: ${issues.join('; ')}`, 'BAD_BODY');
      }
      // Only the data is redacted: a session id is a name, not a secret (and looks like one to the rules).
      const events = parsed.data.events.map(({ context, event, action, ...names }) => ({
        ...names,
        ...(context ? { context: viewer.redact(context) } : {}),
        ...(event ? { event: viewer.redact(event) } : {}),
        ...(action ? { action: viewer.redact(action) } : {}),
      }));
      const kept = viewer.inspect.add({ ...parsed.data, events }, viewer.clock.now());
      sendJson(res, 200, { accepted: kept });
    })
    .add('GET', '/api/inspect/sessions', ({ res }) => sendJson(res, 200, { sessions: viewer.inspect.sessions() }))
    .add('GET', '/api/inspect/sessions/:sessionId', ({ res, params }) => {
      const session = viewer.inspect.session(params.sessionId ?? '');
      if (!session) throw new HttpError(404, `no inspection session ${JSON.stringify(params.sessionId)} (sessions appear when \`execute --inspect\` runs)`, 'UNKNOWN_SESSION');
      sendJson(res, 200, session);
    })
    .add('GET', '/api/inspect/stream', ({ req, res }) => {
      const stream = viewer.openStream(req, res);
      stream.send('sessions', { sessions: viewer.inspect.sessions() });
      stream.onClose(viewer.inspect.subscribe((session, added) => stream.send('records', { session, added })));
    });
};
