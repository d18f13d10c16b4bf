/**
 * The CLI's logger: pino, at `warn` unless `--log-level`, writing to stderr through a destination that
 * turns each JSON record into one readable line (`warning: took over the lease of …`). A person reads
 * these, so no raw JSON reaches the terminal, and stdout stays free for output and `--json`.
 * Values are redacted where log lines are made (ExecutionRun.log); the line is escaped for the
 * terminal like every other human line.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger, silentLogger } from '../support/logger.ts';
import { escapeForTerminal } from '../support/terminal-text.ts';
import { UsageError } from './cli-input.ts';

/** pino's levels, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** What each pino level number prints as; `warning:` matches the CLI's own warnings. */
const LEVEL_LABELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** Fields every record has, or that say nothing a person needs on one line. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** The longest a nested field may print before it is cut (only at debug and trace). */
const MAX_OBJECT_CHARS = 200;

/** A JSON scalar as text; undefined for null, objects and arrays. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function fieldText(key: string, value: unknown, verbose: boolean): string | undefined {
  if (value === null || value === undefined) return undefined;
  const scalar = scalarText(value);
  if (scalar !== undefined) return `${key}=${scalar}`;
  const message = (value as { message?: unknown }).message;
  if (key === 'err' && typeof message === 'string') return `err=${message}`;
  if (!verbose) return undefined;
  const json = JSON.stringify(value);
  return `${key}=${json.length > MAX_OBJECT_CHARS ? `${json.slice(0, MAX_OBJECT_CHARS - 1)}…` : json}`;
}

/** Whether `message` already says `value` as a word of its own (`attempt 2`, not the 2 of `203`). */
function mentions(message: string, value: string): boolean {
  if (value === '') return true;
  const isWordChar = (char: string | undefined): boolean => char !== undefined && /[\w-]/.test(char);
  for (let at = message.indexOf(value); at !== -1; at = message.indexOf(value, at + 1)) {
    if (!isWordChar(message[at - 1]) && !isWordChar(message[at + value.length])) return true;
  }
  return false;
}

/**
 * One record as one line: `level: message (key=value, …)`. Scalar fields the message already says are
 * left out; nested objects are shown only when `verbose` (debug or trace), since at the default level
 * a person needs the sentence, not the structure.
 */
export function formatLogRecord(record: Record<string, unknown>, verbose: boolean): string {
  const level = typeof record['level'] === 'number' ? (LEVEL_LABELS[record['level']] ?? `level ${record['level']}`) : 'log';
  const message = typeof record['msg'] === 'string' ? record['msg'] : '';
  const fields = Object.entries(record)
    .filter(([key, value]) => {
      const scalar = scalarText(value);
      return !HIDDEN_FIELDS.has(key) && !(scalar !== undefined && mentions(message, scalar));
    })
    .flatMap(([key, value]) => fieldText(key, value, verbose) ?? []);
  return escapeForTerminal(`${level}: ${message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`);
}

/** A pino destination writing each record to `stream` as one readable line. */
export function readableLogDestination(stream: NodeJS.WritableStream, verbose: boolean): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const text of String(chunk).split('\n')) {
        if (text.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch {
          record = undefined;
        }
        stream.write(`${typeof record === 'object' && record !== null ? formatLogRecord(record as Record<string, unknown>, verbose) : escapeForTerminal(text)}\n`);
      }
      done();
    },
  });
}

/** `--log-level` as given (undefined: `warn`); an unknown level is bad input naming the levels. */
export function checkLogLevel(level: string | undefined): string {
  const chosen = level ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(chosen)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; not ${JSON.stringify(chosen)}`, { code: 'INVALID_FLAG_VALUE', context: { flag: '--log-level', value: chosen } });
  }
  return chosen;
}

/** The logger for `--log-level` (see {@link checkLogLevel}), writing readable lines to `stderr`. */
export function createCliLogger(level: string | undefined, stderr: NodeJS.WritableStream): Logger {
  const chosen = checkLogLevel(level);
  if (chosen === 'silent') return silentLogger();
  return createLogger({ level: chosen, destination: readableLogDestination(stderr, chosen === 'debug' || chosen === 'trace') });
}
