/**
 * What a viewer feature works with (docs/viewer.md "Adding a page"). The executions pages and the
 * inspector are features like any other: each is a {@link ViewerExtension} that adds its routes to the
 * table and reads through the executor. The plans page will be one more.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActionExecutor } from '../execution/executor-api.ts';
import type { Clock } from '../support/clock.ts';
import type { EventStream } from './event-stream.ts';
import type { InspectHub } from './inspect-hub.ts';
import type { LiveFeed } from './live-feed.ts';
import type { RouteTable } from './route-table.ts';

export interface ViewerContext {
  /** Add GET and POST routes here; every POST is checked for the session token before it runs. */
  readonly routes: RouteTable;
  readonly executor: ActionExecutor;
  /** Shared journal polling for live pages. */
  readonly feed: LiveFeed;
  /** The offline inspector's sessions. */
  readonly inspect: InspectHub;
  readonly clock: Clock;
  /** Definition ids known from `--definitions`, for filters. */
  readonly definitionIds: readonly string[];
  /** Everything served passes through this: secret-named fields and known secret values become [REDACTED]. */
  redact<T>(value: T): T;
  /** Serves `assets/<name>.html` with the session token filled in. */
  page(res: ServerResponse, name: string): Promise<void>;
  /** Opens a server-sent event stream (refused with 503 past the viewer's limit of open streams). */
  openStream(req: IncomingMessage, res: ServerResponse): EventStream;
  /** Work started by a request that outlives it (a resume): the viewer waits for none of it, but logs its failure. */
  background(what: string, work: Promise<unknown>): void;
}

/** A feature: registers its routes (and anything else) when the viewer starts. */
export type ViewerExtension = (context: ViewerContext) => void;
