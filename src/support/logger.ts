/**
 * pino, writing JSON lines to stderr so `--json` output on stdout stays clean. Redaction of values
 * happens where lines are made (ExecutionRun.log); pino's own `redact` is a second net for the
 * header and credential fields a caller might log by name.
 */
import pino, { type Logger } from 'pino';

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['ACTION_EXECUTOR_LOG_LEVEL'] ?? 'info',
      base: null,
      redact: {
        paths: ['*.authorization', '*.Authorization', '*.cookie', '*.Cookie', 'credentials', '*.credentials', 'headers.authorization'],
        censor: '[REDACTED]',
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything (library default when the caller passes none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
