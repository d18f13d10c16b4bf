/**
 * The CLI's flags, each defined once with its help text and default. A command takes exactly the
 * flags it lists (plus the global ones); any other flag is refused for it, with the nearest flag it
 * does take. Flags only one command uses are defined in that command's file.
 */
import { DEFAULT_PATHS } from '../execution/executor-api.ts';

/** One flag: how it parses and how `--help` shows it. */
export interface FlagSpec {
  /** Without the dashes: `definitions` is `--definitions`. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** A one-letter alias (`h` is `-h`). @default none */
  readonly short?: string;
  /** How help shows the value: `<dir>`, `[seconds]`. @default none (a boolean flag) */
  readonly value?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** The default as help shows it. @default none */
  readonly default?: string;
  /**
   * The value may be left out (`--wait` or `--wait 30`): the next argument is taken as the value only
   * when it matches; otherwise the flag's value is `''`. @default the value is required
   */
  readonly optionalValue?: RegExp;
}

/** The parsed values of a list of flags: booleans are `false` unless given, strings `undefined`. */
export type FlagValues<F extends readonly FlagSpec[]> = {
  readonly [S in F[number] as S['name']]: S['type'] extends 'boolean' ? boolean : string | undefined;
};

const flag = <const S extends FlagSpec>(spec: S): S => spec;

/** Flags shared by several commands. */
export const FLAGS = {
  definitions: flag({ name: 'definitions', type: 'string', value: '<dir>', description: 'action definitions (*.json)', default: './definitions' }),
  catalog: flag({ name: 'catalog', type: 'string', value: '<dir>', description: 'API catalog entries (*.json)', default: './catalog when it exists' }),
  db: flag({ name: 'db', type: 'string', value: '<file|url>', description: 'SQLite journal file, or postgres://USER:PASSWORD@HOST:PORT/DB', default: DEFAULT_PATHS.db }),
  storage: flag({ name: 'storage', type: 'string', value: '<dir>', description: 'local storage root (with a postgres:// --db: that database unless given)', default: DEFAULT_PATHS.storage }),
  credentials: flag({ name: 'credentials', type: 'string', value: '<file>', description: 'JSON object of credential values (merged into the request; used by resume)' }),
  json: flag({ name: 'json', type: 'boolean', description: 'print one JSON document on stdout (errors too: {"error": ErrorDetail})' }),
  inspect: flag({ name: 'inspect', type: 'boolean', description: 'stream XState inspection events to the local viewer (`ui`, same --db)' }),
  inspectUrl: flag({ name: 'inspect-url', type: 'string', value: '<url>', description: "stream them to a Stately inspector's WebSocket instead (ws://…)" }),
  wait: flag({
    name: 'wait',
    type: 'string',
    value: '[seconds]',
    description: 'if another live process drives the execution, wait for it to end (at most this long; bare: as long as it takes) instead of exiting 4',
    optionalValue: /^\d+(\.\d+)?$/,
  }),
  logLevel: flag({ name: 'log-level', type: 'string', value: '<level>', description: 'logs on stderr from this level: trace, debug, info, warn, error, fatal, silent', default: 'warn' }),
  debug: flag({ name: 'debug', type: 'boolean', description: 'print stack traces of internal errors' }),
  help: flag({ name: 'help', type: 'boolean', short: 'h', description: 'this help' }),
  version: flag({ name: 'version', type: 'boolean', description: 'print the version' }),
} as const;

/**
 * Taken by every command that works on a project's journal, storage or definitions, so one set of
 * flags (`$STATE`) serves all of them; a command ignores those it does not need (`list` reads only --db).
 */
export const STATE_FLAGS = [FLAGS.definitions, FLAGS.catalog, FLAGS.db, FLAGS.storage, FLAGS.credentials] as const;

/** Taken by every command. */
export const GLOBAL_FLAGS = [FLAGS.logLevel, FLAGS.debug, FLAGS.help, FLAGS.version] as const;

export type GlobalFlagValues = FlagValues<typeof GLOBAL_FLAGS>;

/** `--name <value>` (or `-h, --help`), as help lists it. */
export function flagSynopsis(spec: FlagSpec): string {
  const long = `--${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : long;
}
