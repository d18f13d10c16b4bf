/**
 * Turns what `pg` throws (a server error with a SQLSTATE, a socket error, a pool timeout) into a
 * PostgresInfrastructureError whose message says what was being done, against which server, what
 * went wrong and what to do — with the password scrubbed from anything the server or driver said.
 */
import { isActionError } from '../../src/failure/errors.ts';
import { PostgresInfrastructureError, type PostgresFailureCode } from './postgres-infrastructure-error.ts';
import { describeTarget, scrubPassword, type PostgresTarget } from './postgres-url.ts';

interface Classified {
  code: PostgresFailureCode;
  reason: string;
  suggestion: string;
}

const SOCKET_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const SOCKET_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const BUSY_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '53200', '53300', '53400']);

function classify(error: unknown, target: PostgresTarget): Classified {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const at = `${target.host}:${target.port}`;
  if (typeof code === 'string' && SOCKET_UNREACHABLE.has(code)) {
    return {
      code: 'POSTGRES_UNREACHABLE',
      reason: `cannot connect (${code}: ${message})`,
      suggestion: `Check that PostgreSQL runs and listens on ${at} (pg_isready -h ${target.host} -p ${target.port}), and that host and port in the URL are right; the run resumes once it is reachable.`,
    };
  }
  if (typeof code === 'string' && SOCKET_LOST.has(code)) {
    return { code: 'POSTGRES_CONNECTION_LOST', reason: `the connection broke (${code}: ${message})`, suggestion: 'The server closed or lost the connection; nothing partial was committed. Resume once the database is back.' };
  }
  if (code === '28P01' || code === '28000') {
    return {
      code: 'POSTGRES_AUTH_FAILED',
      reason: `the server refused the login (${message})`,
      suggestion: `Check the user and password in the database URL (user "${target.user}"; the password is not shown) and the server's pg_hba.conf for ${at}.`,
    };
  }
  if (code === '3D000') {
    return { code: 'POSTGRES_DATABASE_MISSING', reason: `the database does not exist (${message})`, suggestion: `Create it (createdb -h ${target.host} -p ${target.port} -U ${target.user} ${target.database}) or fix the database name in the URL.` };
  }
  if (code === '42501') {
    return {
      code: 'POSTGRES_PERMISSION_DENIED',
      reason: `permission denied (${message})`,
      suggestion: `User "${target.user}" needs to create and use tables in the schema: e.g. GRANT CREATE, USAGE ON SCHEMA public TO "${target.user}", or run the first start (which creates the tables) as the schema's owner.`,
    };
  }
  if (code === '53100') {
    return { code: 'POSTGRES_OUT_OF_SPACE', reason: `the database server is out of disk space (${message})`, suggestion: 'Free space on the database server (or grow its volume); nothing partial was committed. Resume afterwards.' };
  }
  if (typeof code === 'string' && (BUSY_SQLSTATES.has(code))) {
    return { code: 'POSTGRES_BUSY', reason: `the server could not serve the request now (SQLSTATE ${code}: ${message})`, suggestion: 'This is transient (contention, too many connections or memory pressure): retry or resume shortly.' };
  }
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P'))) {
    return { code: 'POSTGRES_CONNECTION_LOST', reason: `the server ended the session (SQLSTATE ${code}: ${message})`, suggestion: 'The server is shutting down, restarting or not yet accepting connections; resume once it is back.' };
  }
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) {
    return {
      code: 'POSTGRES_UNREACHABLE',
      reason: `no connection within the connect timeout (${message})`,
      suggestion: `Either ${at} does not answer (firewall, wrong host) or every pooled connection stayed busy; check the server, or raise maxConnections / connectTimeoutMs.`,
    };
  }
  if (/Connection terminated|not queryable|Connection ended/i.test(message)) {
    return { code: 'POSTGRES_CONNECTION_LOST', reason: `the connection broke (${message})`, suggestion: 'The server closed the connection (restart, failover, idle timeout); nothing partial was committed. Resume once the database is back.' };
  }
  return {
    code: 'POSTGRES_QUERY_FAILED',
    reason: typeof code === 'string' ? `SQLSTATE ${code}: ${message}` : message,
    suggestion: 'This is unexpected for this schema; check the server log. The run can be resumed once the cause is fixed.',
  };
}

/**
 * Wraps a failure of `operation` (e.g. `storage save of results/e1.json`) against `target`. An
 * ActionError (a refusal of bad input, a checksum mismatch) and an existing
 * PostgresInfrastructureError pass through unchanged.
 */
export function postgresFailure(error: unknown, target: PostgresTarget, url: string, operation: string): Error {
  if (error instanceof PostgresInfrastructureError || isActionError(error)) return error;
  const { code, reason, suggestion } = classify(error, target);
  const message = scrubPassword(`PostgreSQL ${operation} failed at ${describeTarget(target)}: ${reason}.`, url);
  return new PostgresInfrastructureError(code, message, { target: { host: target.host, port: target.port, database: target.database, user: target.user }, suggestion: scrubPassword(suggestion, url), cause: error });
}
