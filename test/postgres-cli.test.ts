/**
 * The CLI on a PostgreSQL journal (issue 10): `--db postgres://…` runs, lists and shows executions
 * with nothing on the local disk, and an unusable database — a malformed URL, a wrong password, a
 * port nothing listens on — exits 3 with a message naming host, port, database and user, and never
 * the password, on stdout or stderr.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EXIT } from '../src/cli/cli.ts';
import { createCliSandbox, type CliResult, type CliSandbox } from './support/cli-run.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from './support/postgres.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';

describeWithPostgres('CLI with --db postgres:// (issue 10)', () => {
  let database: FreshDatabase;
  let api: ScriptedApi;
  let sandbox: CliSandbox;
  let password: string;

  beforeAll(async () => {
    database = await freshDatabase('cli');
    password = decodeURIComponent(new URL(database.url).password);
    api = await startScriptedApi();
    sandbox = createCliSandbox([definition(api.url)]);
    sandbox.write('request.json', executeRequest('get_user', 'get-user', { userId: 'u_1' }));
  });
  afterAll(async () => {
    sandbox?.cleanup();
    await api?.close();
    await database?.drop();
  });

  const withUrl = (change: (url: URL) => void): string => {
    const url = new URL(database.url);
    change(url);
    return url.toString();
  };
  const run = (db: string, ...args: string[]): Promise<CliResult> => sandbox.run([...args, '--definitions', 'defs', '--db', db, '--log-level', 'silent']);
  const expectNoSecret = (result: CliResult, ...secrets: string[]): void => {
    for (const secret of [password, ...secrets]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  };

  it('execute, list and show work against the database and exit 0, writing nothing to the local directory', async () => {
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1', name: 'Ada' } }]);
    const executed = await run(database.url, 'execute', 'request.json', '--json');
    expect(executed.stderr).toBe('');
    expect(executed.code).toBe(EXIT.ok);
    expect(JSON.parse(executed.stdout)).toMatchObject({ status: 'completed', actionId: 'get_user', result: { output: { name: 'Ada' } } });
    const listed = await run(database.url, 'list');
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout).toContain(`${EXEC_ID}  get_user`);
    const shown = await run(database.url, 'show', EXEC_ID);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toContain('completed');
    expect(existsSync(join(sandbox.dir, '.action-executor'))).toBe(false);
    expectNoSecret(executed);
    expectNoSecret(shown);
  });

  it('show of an unknown execution names the database with its password redacted (exit 2)', async () => {
    const result = await run(database.url, 'show', 'no-such-execution');
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(`error: no execution no-such-execution in ${database.url.replace(/:[^:@/]+@/, ':[REDACTED]@')}`);
    expectNoSecret(result);
  });

  it('a malformed URL exits 3 with what a valid one looks like, the password redacted', async () => {
    const result = await run('postgres://ae:s3cret-in-url@127.0.0.1:5432', 'list');
    expect(result.code).toBe(EXIT.internal);
    expect(result.stderr).toBe(
      'error: Invalid PostgreSQL URL "postgres://ae:[REDACTED]@127.0.0.1:5432": it names no database (the path after the port). Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE, e.g. postgres://app:secret@127.0.0.1:5432/app (percent-encode special characters in the password).\n',
    );
    expectNoSecret(result, 's3cret-in-url');
  });

  it('a wrong password exits 3 naming host, port, database and user, and neither password appears', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const result = await run(withUrl((u) => (u.password = wrong)), 'list');
    expect(result.code).toBe(EXIT.internal);
    expect(result.stderr).toContain(`error: PostgreSQL journal open failed at 127.0.0.1:${new URL(database.url).port}, database "${database.name}", user "ae": the server refused the login (password authentication failed for user "ae"). Check the user and password in the database URL (user "ae"; the password is not shown)`);
    expect(result.stderr).not.toContain('    at ');
    expectNoSecret(result, wrong);
  });

  it('a port nothing listens on exits 3 saying what was tried and how to check it', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((done) => server.close(() => done()));
    const result = await run(withUrl((u) => (u.port = String(port))), 'execute', 'request.json');
    expect(result.code).toBe(EXIT.internal);
    expect(result.stderr).toContain(`error: PostgreSQL journal open failed at 127.0.0.1:${port}, database "${database.name}", user "ae": cannot connect (ECONNREFUSED`);
    expect(result.stderr).toContain(`pg_isready -h 127.0.0.1 -p ${port}`);
    expectNoSecret(result);
  });
});
