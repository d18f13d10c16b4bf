/**
 * What a Trigger.dev worker reads from its environment (docs/trigger-dev.md "Configuration"), with
 * the defaults in one place: `trigger.config.ts` copies the default definition and catalog directories
 * into the deployed image (`additionalFiles`), and the worker reads them from there. Relative paths
 * resolve against the worker's working directory, which is the build directory in a deployed image
 * (and in `trigger dev` with `legacyDevProcessCwdBehaviour: false`).
 */
import { DEFAULT_PATHS } from '../execution/executor-api.ts';

/** The environment variables a worker reads. */
export const WORKER_VARIABLES = {
  definitions: 'ACTION_EXECUTOR_DEFINITIONS',
  catalog: 'ACTION_EXECUTOR_CATALOG',
  db: 'ACTION_EXECUTOR_DB',
  storage: 'ACTION_EXECUTOR_STORAGE',
} as const;

/** Defaults of the worker's variables; `trigger.config.ts` ships the two directories. */
export const WORKER_DEFAULTS = {
  definitions: './definitions',
  catalog: './catalog',
  db: DEFAULT_PATHS.db,
} as const;

/** A worker's configuration, read from its environment. */
export interface WorkerEnvironment {
  /** Directory of action definition `*.json` files. @default './definitions' */
  definitionsDir: string;
  /** Directory of catalog entry `*.json` files. @default './catalog' (loaded only when present) */
  catalogDir: string;
  /** Whether the catalog directory was named explicitly (then a missing one is an error). */
  catalogRequired: boolean;
  /** The journal: a SQLite file path or a `postgres://` URL. @default './.action-executor/journal.db' */
  db: string;
  /**
   * Root of the local storage provider, when set. Unset, the executor chooses: local storage at
   * './.action-executor/storage' beside a SQLite journal, the journal's database beside a Postgres one.
   * @default unset
   */
  storage?: string;
}

/** A variable's value, with an empty string meaning unset (as an unset platform variable often is). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads the worker's configuration from `env`. */
export function workerEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerEnvironment {
  const catalog = read(env, WORKER_VARIABLES.catalog);
  const storage = read(env, WORKER_VARIABLES.storage);
  return {
    definitionsDir: read(env, WORKER_VARIABLES.definitions) ?? WORKER_DEFAULTS.definitions,
    catalogDir: catalog ?? WORKER_DEFAULTS.catalog,
    catalogRequired: catalog !== undefined,
    db: read(env, WORKER_VARIABLES.db) ?? WORKER_DEFAULTS.db,
    ...(storage === undefined ? {} : { storage }),
  };
}

/** Whether a journal setting names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db.trim());
}
