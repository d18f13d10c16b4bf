import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { describeWithBrowser, launchBrowser } from './support/browser.ts';
import { TEST_PG_VARIABLE, describeWithPostgres, freshDatabase, postgresUrl } from './support/postgres.ts';
import { decideServiceGuard, inCi } from './support/service-guard.ts';

describe('service guards: tests that need PostgreSQL or Chromium never pass silently (issue 10)', () => {
  const absent = { available: false as const, reason: 'PostgreSQL not running: npm run pg:start' };

  it('runs the suite when the service is there, in CI or not', () => {
    expect(decideServiceGuard('storage', { available: true }, false)).toEqual({ mode: 'run', title: 'storage' });
    expect(decideServiceGuard('storage', { available: true }, true)).toEqual({ mode: 'run', title: 'storage' });
  });

  it('outside CI, skips with the reason in the title and in a printed notice', () => {
    expect(decideServiceGuard('storage', absent, false)).toEqual({
      mode: 'skip',
      title: 'storage [skipped: PostgreSQL not running: npm run pg:start]',
      notice: 'skipped "storage": PostgreSQL not running: npm run pg:start',
    });
  });

  it('with CI=true, fails instead of skipping', () => {
    const decision = decideServiceGuard('storage', absent, true);
    expect(decision.mode).toBe('fail');
    expect(decision).toMatchObject({ message: 'CI=true but PostgreSQL not running: npm run pg:start. .ci/run starts it before the tests; these tests must not be skipped in CI.' });
  });

  it('only CI=true counts as CI', () => {
    expect(inCi({ CI: 'true' })).toBe(true);
    expect(inCi({ CI: '1' })).toBe(false);
    expect(inCi({})).toBe(false);
  });
});

describe('postgresUrl(): ACTION_EXECUTOR_TEST_PG first, else the state file of npm run pg:start', () => {
  const saved = { url: process.env[TEST_PG_VARIABLE], dir: process.env['ACTION_EXECUTOR_PG_STATE_DIR'] };
  const restore = (name: string, value: string | undefined): void => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  afterEach(() => {
    restore(TEST_PG_VARIABLE, saved.url);
    restore('ACTION_EXECUTOR_PG_STATE_DIR', saved.dir);
  });

  it('reads PG_URL from the state file when the variable is unset, and nothing when neither exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-state-'));
    try {
      delete process.env[TEST_PG_VARIABLE];
      process.env['ACTION_EXECUTOR_PG_STATE_DIR'] = dir;
      expect(postgresUrl()).toBeUndefined();
      writeFileSync(join(dir, 'env'), 'PG_URL=postgres://ae:abc@127.0.0.1:40001/postgres\nPG_DIR=/tmp/action-executor-pg.x\n');
      expect(postgresUrl()).toBe('postgres://ae:abc@127.0.0.1:40001/postgres');
      process.env[TEST_PG_VARIABLE] = 'postgres://ae:def@127.0.0.1:40002/postgres';
      expect(postgresUrl()).toBe('postgres://ae:def@127.0.0.1:40002/postgres');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('freshDatabase(): one database per test file, dropped after', () => {
  it('gives parallel callers distinct, usable databases and drop removes them', async () => {
    const [a, b] = await Promise.all([freshDatabase('support check'), freshDatabase('support check')]);
    expect(a.name).not.toBe(b.name);
    expect(a.name).toMatch(/^ae_support_check_\d+_[0-9a-f]{8}$/);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    expect((await client.query('SELECT current_database() AS name')).rows[0].name).toBe(a.name);
    await client.end();
    await Promise.all([a.drop(), b.drop()]);
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    const left = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[a.name, b.name]]);
    await admin.end();
    expect(left.rows).toEqual([]);
  });
});

describeWithBrowser("launchBrowser(): Debian's Chromium, headless, through playwright-core", () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  it('renders a page served on 127.0.0.1 and runs its script, which fetches from the same server', async () => {
    const hits: string[] = [];
    server = createServer((request, response) => {
      hits.push(request.url ?? '');
      if (request.url === '/data') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ greeting: 'hello from 127.0.0.1' }));
        return;
      }
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><p id="out">loading</p><script>fetch("/data").then(r => r.json()).then(d => { document.getElementById("out").textContent = d.greeting; });</script>');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction('document.getElementById("out").textContent !== "loading"');
    expect(await page.textContent('#out')).toBe('hello from 127.0.0.1');
    expect(hits).toContain('/data');
  });
});
