/**
 * PostgreSQL connection URLs: what one names (host, port, database, user) for messages, and the same
 * URL with its password redacted. A password must never reach a message, a log line or the journal
 * (DESIGN §5 "Redaction"), so every place that prints a database URL goes through here.
 */
import { userInfo } from 'node:os';
import { PostgresInfrastructureError, type PostgresFailureTarget } from './postgres-infrastructure-error.ts';

/** What a URL connects to, for messages; never holds the password. */
export interface PostgresTarget extends PostgresFailureTarget {
  /** The URL with its password replaced by `[REDACTED]`. */
  redactedUrl: string;
}

const REDACTED = '[REDACTED]';
const DEFAULT_PORT = 5432;

/**
 * Replaces the password of a postgres URL (the userinfo part and a `password=` query parameter) by
 * `[REDACTED]`. Works on text that does not parse as a URL too (a missing scheme, an unencoded "@"
 * or "/" in the password), so even a malformed URL is printed safely; when in doubt it redacts more.
 */
export function redactPostgresUrl(url: string): string {
  let text = url;
  const slashes = text.indexOf('//');
  const start = slashes >= 0 ? slashes + 2 : 0;
  // The host follows the last "@": a password may itself hold "@", "/" or "?".
  const at = text.lastIndexOf('@');
  const colon = text.indexOf(':', start);
  if (at > start && colon >= 0 && colon < at) text = `${text.slice(0, colon + 1)}${REDACTED}${text.slice(at)}`;
  return text.replace(/([?&]password=)[^&#]*/gi, `$1${REDACTED}`);
}

/** The password in `url`, so a message that could echo it can be scrubbed; '' when there is none. */
export function passwordOf(url: string): string {
  try {
    const parsed = new URL(url);
    return decode(parsed.password) || (parsed.searchParams.get('password') ?? '');
  } catch {
    return '';
  }
}

/** `message` with every occurrence of the URL's password (raw and URL-encoded) replaced. */
export function scrubPassword(message: string, url: string): string {
  const password = passwordOf(url);
  if (password.length < 3) return message;
  return message.split(password).join(REDACTED).split(encodeURIComponent(password)).join(REDACTED);
}

/** The one-line description used in every message: `127.0.0.1:5432, database "app", user "ae"`. */
export function describeTarget(target: PostgresTarget): string {
  return `${target.host}:${target.port}, database "${target.database}", user "${target.user}"`;
}

/**
 * Parses a `postgres://` or `postgresql://` URL. Anything else is refused with an
 * InfrastructureError (code `POSTGRES_URL_INVALID`) that shows the URL redacted and what a valid one
 * looks like: a database URL is configuration, and a run with a bad one must stop unrecorded.
 * A URL without a user means what it means to `pg`: $PGUSER, else the OS user.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const refuse = (why: string): never => {
    throw new PostgresInfrastructureError('POSTGRES_URL_INVALID', `Invalid PostgreSQL URL ${JSON.stringify(redactPostgresUrl(String(url)))}: ${why}.`, {
      suggestion: 'Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/app (percent-encode special characters in the password).',
    });
  };
  if (typeof url !== 'string' || url.trim() === '') return refuse('it is empty');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('it does not parse as a URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return refuse(`the scheme is "${parsed.protocol.replace(/:$/, '')}", not postgres or postgresql`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  const database = decode(parsed.pathname.replace(/^\//, '')) || parsed.searchParams.get('db') || '';
  const user = decode(parsed.username) || process.env['PGUSER'] || userInfo().username;
  if (database === '') return refuse('it names no database (the path after the port)');
  if (database.includes('/')) return refuse(`the database name "${database}" contains "/"`);
  return { host, port, database, user, redactedUrl: redactPostgresUrl(url) };
}

/** decodeURIComponent that keeps a malformed escape as written instead of throwing. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
