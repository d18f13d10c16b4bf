/**
 * A Trigger.dev worker process's executor, opened on its first run from the environment
 * (worker-environment.ts) and kept for the life of the process, so warm starts reuse it.
 *
 * A worker whose configuration is broken fails its runs at once and visibly, without platform retries:
 * definitions or catalog entries that do not load, an empty definitions directory, a journal setting
 * that is neither a SQLite path nor a `postgres://` URL. Running on with what did load would turn
 * every action of a broken file into an `UNKNOWN_DEFINITION` run that looks like any other.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { wait } from '@trigger.dev/sdk';
import type { ActionExecutor, ActionExecutorOptions } from '../execution/executor.ts';
import { openActionExecutor } from '../execution/open-action-executor.ts';
import { loadDefinitionsFromDir, type DefinitionRegistry } from '../definitions/definition-registry.ts';
import { loadCatalogFromDir } from '../catalog/catalog-registry.ts';
import { formatProblem, type LoadProblem } from '../definitions/load-problem.ts';
import { errorDetail, isActionError, isInfrastructureError } from '../failure/errors.ts';
import type { Clock } from '../support/clock.ts';
import { createLogger } from '../support/logger.ts';
import { ActionRunFailure } from './action-run-failure.ts';
import { platformWaitClock } from './platform-wait-clock.ts';
import { platformWaitLane } from './platform-wait-lane.ts';
import { createTransitionFeed, type TransitionFeed } from './transition-feed.ts';
import { isPostgresUrl, WORKER_VARIABLES, workerEnvironment, type WorkerEnvironment } from './worker-environment.ts';

/** What one worker process runs its task runs with. */
export interface TaskWorker {
  readonly environment: WorkerEnvironment;
  readonly executor: ActionExecutor;
  /** The definitions the executor runs (plans are validated against them). */
  readonly definitions: DefinitionRegistry;
  /** The executor's transitions, by execution (its `onTransition`). */
  readonly transitions: TransitionFeed;
  /** The worker's logger (the plan task logs through it too). */
  readonly logger: Logger;
  /** The executor's clock: its long sleeps are platform waits, one at a time. */
  readonly clock: Clock;
  close(): Promise<void>;
}

/** Options of {@link openTaskWorker}; the defaults are what a deployed worker uses. */
export interface TaskWorkerOptions {
  /**
   * @default platformWaitClock((date, signal) => platformWaitLane.run(() => wait.until({ date }), signal)):
   * one platform wait at a time, as the runtime demands (platform-wait-lane.ts)
   */
  clock?: Clock;
  /** @default createLogger() (pino on stderr, which the platform captures) */
  logger?: Logger;
  /**
   * Opens the executor; one given here is trusted with `postgres://` URLs.
   * @default openActionExecutor (a SQLite path or a postgres:// URL)
   */
  openExecutor?: (options: ActionExecutorOptions) => Promise<ActionExecutor>;
}

/** Problems shown in a run's error; the rest are counted (the platform cuts messages at 1,000 characters). */
const PROBLEMS_SHOWN = 5;

function configurationFailure(message: string, context: Record<string, string>, suggestion: string): ActionRunFailure {
  return new ActionRunFailure(errorDetail('validation_failed', message, { code: 'WORKER_CONFIGURATION_INVALID', context, suggestion }));
}

function problemList(problems: readonly LoadProblem[]): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN).map((problem) => `  ${formatProblem(problem)}`);
  const more = problems.length > PROBLEMS_SHOWN ? [`  …and ${problems.length - PROBLEMS_SHOWN} more`] : [];
  return [...shown, ...more].join('\n');
}

function loadFailure(what: string, variable: string, dir: string, problems: readonly LoadProblem[]): ActionRunFailure {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return configurationFailure(`The worker could not load its ${what} from ${dir} (${variable}): ${count}:\n${problemList(problems)}`, { variable, dir, problems: String(problems.length) }, `Fix the files (\`action-executor validate\` checks them), make sure trigger.config.ts ships them (additionalFiles), and deploy again.`);
}

/** Checks the journal setting before anything opens it: a URL is never mistaken for a file name. */
function checkDb(db: string): void {
  if (isPostgresUrl(db)) return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(db)) {
    throw configurationFailure(
      `${WORKER_VARIABLES.db} must be a SQLite file path or a postgres:// URL; got a URL with another scheme (${db.slice(0, db.indexOf(':'))}://…).`,
      { variable: WORKER_VARIABLES.db },
      'Set ACTION_EXECUTOR_DB to postgres://user@host:5432/database or to a file path.',
    );
  }
}

/** Opens a worker: loads and checks the definitions and catalog, then opens the executor. */
export async function openTaskWorker(environment: WorkerEnvironment, options: TaskWorkerOptions = {}): Promise<TaskWorker> {
  const { registry, problems } = loadDefinitionsFromDir(environment.definitionsDir);
  if (problems.length > 0) throw loadFailure('action definitions', WORKER_VARIABLES.definitions, environment.definitionsDir, problems);
  if (registry.list().length === 0) {
    throw configurationFailure(
      `The worker found no action definitions (*.json) in ${environment.definitionsDir} (${WORKER_VARIABLES.definitions}), so every action would fail as UNKNOWN_DEFINITION.`,
      { variable: WORKER_VARIABLES.definitions, dir: environment.definitionsDir },
      'Point ACTION_EXECUTOR_DEFINITIONS at your definitions, and ship them with additionalFiles in trigger.config.ts.',
    );
  }
  let catalog: ReturnType<typeof loadCatalogFromDir>['catalog'] | undefined;
  if (environment.catalogRequired || existsSync(environment.catalogDir)) {
    const loaded = loadCatalogFromDir(environment.catalogDir);
    if (loaded.problems.length > 0) throw loadFailure('API catalog entries', WORKER_VARIABLES.catalog, environment.catalogDir, loaded.problems);
    catalog = loaded.catalog;
  }
  checkDb(environment.db);

  const transitions = createTransitionFeed();
  const logger = options.logger ?? createLogger();
  const openExecutor = options.openExecutor ?? openActionExecutor;
  const clock = options.clock ?? platformWaitClock((date, signal) => platformWaitLane.run(() => wait.until({ date }), signal));
  let executor: ActionExecutor;
  try {
    executor = await openExecutor({
      db: environment.db,
      ...(environment.storage === undefined ? {} : { storage: environment.storage }),
      definitions: registry,
      ...(catalog ? { catalog } : {}),
      logger,
      clock,
      onTransition: transitions.emit,
    });
  } catch (error) {
    // A journal that cannot be opened (a directory, a read-only path) will not open on a retry either.
    if (isActionError(error) && !isInfrastructureError(error) && !error.detail.retryable) throw new ActionRunFailure(error.detail);
    throw error;
  }
  return { environment, executor, definitions: registry, transitions, logger, clock, close: () => executor.close() };
}

let current: Promise<TaskWorker> | undefined;

/**
 * This process's worker, opened from `env` on the first call and reused after. A failed open is not
 * kept: the next run tries again (and fails the same way while the configuration is broken).
 */
export function taskWorker(env: NodeJS.ProcessEnv = process.env, options: TaskWorkerOptions = {}): Promise<TaskWorker> {
  if (current) return current;
  const opening = openTaskWorker(workerEnvironment(env), options);
  current = opening;
  opening.catch(() => {
    if (current === opening) current = undefined;
  });
  return opening;
}

/** Closes this process's worker (graceful shutdown, tests); the next run opens a new one. */
export async function closeTaskWorker(): Promise<void> {
  const opened = current;
  current = undefined;
  const worker = await opened?.catch(() => undefined);
  await worker?.close();
}
