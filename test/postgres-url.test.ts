import { describe, expect, it } from 'vitest';
import { isInfrastructureError } from '../src/failure/errors.ts';
import { postgresFailure } from '../storage/postgres/postgres-failure.ts';
import { PostgresInfrastructureError } from '../storage/postgres/postgres-infrastructure-error.ts';
import { parsePostgresUrl, redactPostgresUrl, scrubPassword } from '../storage/postgres/postgres-url.ts';

describe('postgres URLs: the password never reaches a message', () => {
  it.each<[string, string]>([
    ['postgres://ae:s3cret@127.0.0.1:5432/app', 'postgres://ae:[REDACTED]@127.0.0.1:5432/app'],
    ['postgresql://ae:p%40ss%2Fword@db.internal/app?sslmode=require', 'postgresql://ae:[REDACTED]@db.internal/app?sslmode=require'],
    ['postgres://ae:unencoded@at/slash@10.0.0.1:6432/app', 'postgres://ae:[REDACTED]@10.0.0.1:6432/app'],
    ['postgres://127.0.0.1/app?user=ae&password=s3cret&x=1', 'postgres://127.0.0.1/app?user=ae&password=[REDACTED]&x=1'],
    ['postgres://ae@127.0.0.1:5432/app', 'postgres://ae@127.0.0.1:5432/app'],
    ['ae:s3cret@127.0.0.1/app', 'ae:[REDACTED]@127.0.0.1/app'],
    ['not a url ae:s3cret@host', 'not a url ae:[REDACTED]@host'],
    ['postgres://127.0.0.1:5432/app', 'postgres://127.0.0.1:5432/app'],
  ])('redacts %j', (url, redacted) => {
    expect(redactPostgresUrl(url)).toBe(redacted);
  });

  it('parses host, port, database and user, with the redacted URL beside them', () => {
    expect(parsePostgresUrl('postgres://ae:s3cret@127.0.0.1:6543/app')).toEqual({ host: '127.0.0.1', port: 6543, database: 'app', user: 'ae', redactedUrl: 'postgres://ae:[REDACTED]@127.0.0.1:6543/app' });
    expect(parsePostgresUrl('postgresql://ae@[::1]/app')).toMatchObject({ host: '::1', port: 5432 });
  });

  it.each<[string, string]>([
    ['', 'it is empty'],
    ['127.0.0.1:5432/app', 'it does not parse as a URL'],
    ['https://ae:s3cret@127.0.0.1/app', 'the scheme is "https", not postgres or postgresql'],
    ['ae:s3cret@127.0.0.1/app', 'the scheme is "ae", not postgres or postgresql'],
    ['postgres://ae:s3cret@127.0.0.1:5432', 'it names no database (the path after the port)'],
    ['postgres://ae:s3cret@127.0.0.1:5432/a/b', 'the database name "a/b" contains "/"'],
  ])('refuses %j: %s, without the password', (url, why) => {
    let error: unknown;
    try {
      parsePostgresUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PostgresInfrastructureError);
    expect((error as PostgresInfrastructureError).code).toBe('POSTGRES_URL_INVALID');
    expect((error as Error).message).toContain(`: ${why}.`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('scrubPassword removes the raw and the percent-encoded password from any text', () => {
    const url = 'postgres://ae:p%40ss%2Fword@127.0.0.1/app';
    expect(scrubPassword('server said: p@ss/word and p%40ss%2Fword', url)).toBe('server said: [REDACTED] and [REDACTED]');
  });
});

describe('postgres failures are infrastructure errors with a code and a next step', () => {
  const url = 'postgres://ae:s3cret@127.0.0.1:5432/app';
  const target = parsePostgresUrl(url);
  const classify = (error: unknown): PostgresInfrastructureError => postgresFailure(error, target, url, 'storage save of results/x') as PostgresInfrastructureError;

  it.each<[string, object, string, RegExp]>([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'POSTGRES_UNREACHABLE', /pg_isready -h 127\.0\.0\.1 -p 5432/],
    ['an unknown host', Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }), 'POSTGRES_UNREACHABLE', /host and port in the URL/],
    ['a full disk on the server (53100)', Object.assign(new Error('could not extend file "base/16384/16390": No space left on device'), { code: '53100' }), 'POSTGRES_OUT_OF_SPACE', /Free space on the database server/],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), 'POSTGRES_BUSY', /transient/],
    ['a deadlock (40P01)', Object.assign(new Error('deadlock detected'), { code: '40P01' }), 'POSTGRES_BUSY', /retry or resume/],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'POSTGRES_CONNECTION_LOST', /resume once it is back/],
    ['a dropped socket', new Error('Connection terminated unexpectedly'), 'POSTGRES_CONNECTION_LOST', /nothing partial was committed/],
    ['a pool checkout timeout', new Error('timeout exceeded when trying to connect'), 'POSTGRES_UNREACHABLE', /raise maxConnections/],
    ['an unexpected SQL error', Object.assign(new Error('relation "ae_storage_objects" does not exist'), { code: '42P01' }), 'POSTGRES_QUERY_FAILED', /check the server log/],
  ])('%s', (_what, error, code, suggestion) => {
    const failure = classify(error);
    expect(failure).toBeInstanceOf(PostgresInfrastructureError);
    expect(isInfrastructureError(failure)).toBe(true);
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(/^PostgreSQL storage save of results\/x failed at 127\.0\.0\.1:5432, database "app", user "ae": /);
    expect(failure.suggestion).toMatch(suggestion);
    expect(failure.cause).toBe(error);
  });

  it('scrubs the password from what the driver or server said', () => {
    const failure = classify(new Error('could not connect with password s3cret'));
    expect(failure.message).not.toContain('s3cret');
    expect(failure.message).toContain('[REDACTED]');
  });
});
