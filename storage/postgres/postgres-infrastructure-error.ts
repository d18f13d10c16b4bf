/**
 * The failure of a PostgreSQL backend (connection, authentication, permissions, disk), as an
 * InfrastructureError: the run stops unrecorded and resumes once the database is back (DESIGN §6
 * "Infrastructure vs action failures"). It names what was tried, never the password.
 */
import { InfrastructureError } from '../../src/failure/errors.ts';

/** What a failure was about; every message names host, port and database from it. */
export interface PostgresFailureTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Stable codes, for callers and tests; the message is for people. */
export type PostgresFailureCode =
  | 'POSTGRES_URL_INVALID'
  | 'POSTGRES_UNREACHABLE'
  | 'POSTGRES_CONNECTION_LOST'
  | 'POSTGRES_AUTH_FAILED'
  | 'POSTGRES_DATABASE_MISSING'
  | 'POSTGRES_PERMISSION_DENIED'
  | 'POSTGRES_OUT_OF_SPACE'
  | 'POSTGRES_BUSY'
  | 'POSTGRES_SCHEMA_TOO_NEW'
  | 'POSTGRES_MIGRATION_MISMATCH'
  | 'POSTGRES_QUERY_FAILED';

export class PostgresInfrastructureError extends InfrastructureError {
  readonly code: PostgresFailureCode;
  /** Where it happened; absent only for a URL that did not parse. */
  readonly target: PostgresFailureTarget | undefined;
  /** What to do about it. */
  readonly suggestion: string;

  constructor(code: PostgresFailureCode, message: string, options: { target?: PostgresFailureTarget; suggestion: string; cause?: unknown }) {
    super(`${message} ${options.suggestion}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PostgresInfrastructureError';
    this.code = code;
    this.target = options.target;
    this.suggestion = options.suggestion;
  }
}
