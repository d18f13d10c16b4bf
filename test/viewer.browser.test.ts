/**
 * The viewer in a real headless Chromium (issue 12): the list's filters, a timeline with a retried
 * attempt, the highlighted path, a page following an execution live through its backoff, Cancel
 * through the button, and state-changing requests the viewer refuses — from its own origin without the
 * token, and from a foreign origin. One browser for the file; a page per test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startViewer, type Viewer } from '../src/viewer/viewer-server.ts';
import { createManualClock } from '../src/support/clock.ts';
import { executeRequest } from './support/executor-harness.ts';
import { createViewerScenario, IDS, seedExecutions, type ViewerScenario } from './support/viewer-scenario.ts';
import { describeWithBrowser, launchBrowserContext, type LaunchedBrowser } from './support/browser.ts';
import { until } from './support/until.ts';

describeWithBrowser('viewer in Chromium', () => {
  let scenario: ViewerScenario;
  let viewer: Viewer;
  let browser: LaunchedBrowser;
  const pages: Page[] = [];
  /** What the viewer logged about refused requests. */
  const refusals: string[] = [];

  beforeAll(async () => {
    scenario = await createViewerScenario();
    await seedExecutions(scenario);
    viewer = await startViewer({ executor: scenario.harness.executor, port: 0, pollMs: 50, clock: scenario.harness.clock, definitionIds: ['get-user', 'create-order'], warn: (line) => refusals.push(line) });
    browser = await launchBrowserContext();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
    await scenario?.cleanup();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.context.newPage();
    pages.push(page);
    page.setDefaultTimeout(5000);
    await page.goto(`${viewer.url}${path}`);
    return page;
  }
  /** One attribute of every element a selector matches, in document order. */
  const attrs = async (page: Page, selector: string, name: string) => Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
  const rowIds = (page: Page) => attrs(page, '#rows tr', 'data-execution-id');
  const executionPage = (id: string) => `/executions/${id}/get_user`;

  it('the list shows executions newest first and filters by status, by definition and by execution id', async () => {
    const page = await open('/');
    await expect.poll(() => rowIds(page)).toEqual([IDS.dormant, IDS.order, IDS.failed, IDS.retried]);
    await page.selectOption('#status', 'failed');
    await expect.poll(() => rowIds(page)).toEqual([IDS.failed]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    await page.selectOption('#status', '');
    await page.selectOption('#definition', 'create-order');
    await expect.poll(() => rowIds(page)).toEqual([IDS.order]);
    await page.selectOption('#definition', '');
    await page.fill('#search', IDS.retried.slice(0, 6));
    await expect.poll(() => rowIds(page)).toEqual([IDS.retried]);
    await expect.poll(() => page.textContent('#range')).toBe('1–1 of 1');
    await page.close();
  });

  it('the execution page shows the timeline with the retried attempt, why it was retried, and the wait', async () => {
    const page = await open(executionPage(IDS.retried));
    await page.waitForSelector('#timeline tr[data-event="RETRY"]');
    const events = await attrs(page, '#timeline tr', 'data-event');
    expect(events).toEqual(['xstate.init', 'RESOLVED', 'VALIDATED', 'SENT', 'RETRY', 'WAITED', 'SENT', 'SUCCEEDED', 'STORED']);
    const retried = page.locator('article.attempt[data-attempt="1"]');
    await expect.poll(() => retried.getAttribute('data-outcome')).toBe('retried');
    const text = await retried.textContent();
    expect(text).toContain('→ 503');
    expect(text).toMatch(/503 api_unexpected_status is retryable and GET is idempotent/);
    expect(text).toContain('busy'); // the response body preview
    expect(await page.locator('article.attempt[data-attempt="2"]').getAttribute('data-outcome')).toBe('succeeded');
    expect(await page.textContent('#waits')).toMatch(/backoff 100 ms until .* attempt 2 of 3 .*ended by WAITED/);
    expect(JSON.parse((await page.textContent('#result')) ?? '{}')).toMatchObject({ actionId: 'get_user', status: 'completed', attempts: 2 });
    expect(await page.isHidden('#cancel')).toBe(true);
    expect(await page.isHidden('#resume')).toBe(true);
    await page.close();
  });

  it('the diagram highlights the path taken, how often each edge was taken, and the current state', async () => {
    const page = await open(executionPage(IDS.retried));
    await page.waitForSelector('svg.machine .node.current');
    const current = await attrs(page, 'svg.machine .node.current', 'data-state');
    expect(current).toEqual(['completed']);
    const taken = (await attrs(page, 'svg.machine .edge.taken', 'data-edge')).sort();
    expect(taken).toEqual(
      [
        'created|xstate.init|resolving',
        'resolving|RESOLVED|validating',
        'validating|VALIDATED|requesting',
        'requesting|SENT|classifying',
        'classifying|RETRY|backingOff',
        'backingOff|WAITED|requesting',
        'classifying|SUCCEEDED|storing',
        'storing|STORED|completed',
      ].sort(),
    );
    expect(await page.textContent('svg.machine [data-edge="requesting|SENT|classifying"] .edge-label')).toBe('SENT ×2');
    const visited = (await attrs(page, 'svg.machine .node.visited', 'data-state')).sort();
    expect(visited).toEqual(['backingOff', 'classifying', 'completed', 'requesting', 'resolving', 'storing', 'validating']);
    // Edges never taken stay drawn but plain; implicit CANCEL edges stay hidden.
    expect(await page.locator('svg.machine [data-edge="requesting|CANCEL|failed"]').isVisible()).toBe(false);
    await page.close();
  });

  it('a page follows an execution live through its backoff: the next transitions appear without reload', async () => {
    const clock = createManualClock(scenario.harness.clock.now());
    const driver = scenario.harness.reopen({ clock });
    const id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
    scenario.api.script('GET /users/u_live', [{ status: 503 }, { status: 200, body: { id: 'u_live' } }]);
    const running = driver.execute(executeRequest('get_user', 'get-user', { userId: 'u_live' }, {}, id));
    try {
      await until(() => clock.pending.length > 0, 'the backoff to start waiting on the clock');
      const page = await open(executionPage(id));
      await expect.poll(() => page.textContent('#state')).toBe('backingOff');
      expect(await page.textContent('#waits')).toMatch(/waiting, \d+ ms left/);
      expect(await page.locator('svg.machine .node.current').getAttribute('data-state')).toBe('backingOff');
      await expect.poll(() => page.textContent('#live')).toBe('live');
      await page.evaluate('window.marker = 42');
      clock.advance(60_000); // the backoff's deadline passes: the driver sends attempt 2 and finishes
      await running;
      await expect.poll(() => page.textContent('#state')).toBe('completed');
      expect(await page.locator('#timeline tr').count()).toBe(9);
      expect(await page.locator('svg.machine .node.current').getAttribute('data-state')).toBe('completed');
      expect(await page.evaluate('window.marker')).toBe(42); // same document: no reload
      await page.close();
    } finally {
      clock.advance(60_000);
      await running.catch(() => undefined);
    }
  });

  it('Cancel through the button ends a dormant execution as user_cancelled', async () => {
    const id = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
    await scenario.crashInBackoff(id, 'u_cancel_me');
    const page = await open(executionPage(id));
    await page.waitForSelector('#cancel:not([hidden])');
    expect(await page.isVisible('#resume')).toBe(true);
    await page.click('#cancel');
    await expect.poll(() => page.textContent('#message')).toContain('cancelled');
    await expect.poll(() => page.textContent('#state')).toBe('failed');
    expect(await page.isHidden('#cancel')).toBe(true);
    const record = await scenario.harness.executor.journal.get({ executionId: id, actionId: 'get_user' });
    expect(record?.result).toMatchObject({ status: 'failed', result: { error: { category: 'user_cancelled' } } });
    expect(scenario.api.hitsFor('GET /users/u_cancel_me')).toHaveLength(1);
    await page.close();
  });

  it('refuses a POST without the token from its own page, and one from a foreign origin', async () => {
    const id = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
    await scenario.crashInBackoff(id, 'u_target');
    const target = `${viewer.url}/api/executions/${id}/get_user/cancel`;
    const page = await open('/');
    const own = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    }, target);
    expect(own.status).toBe(403);
    expect(own.body.error.message).toContain('x-viewer-token');

    // A page on another origin: a simple (no-preflight) POST reaches the viewer and is refused for its
    // Origin; one with a guessed token header needs a preflight the viewer never grants.
    const attacker: Server = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    try {
      const foreign = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      await page.goto(`${foreign}/`);
      const outcome = await page.evaluate(async (url) => {
        // Opaque to the page (and blocked by the viewer's Cross-Origin-Resource-Policy): it cannot read a thing.
        await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined);
        const guessed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-viewer-token': 'guess' }, body: '{}' }).then(
          (r) => `answered ${r.status}`,
          () => 'blocked',
        );
        return guessed;
      }, target);
      expect(outcome).toBe('blocked');
      await expect.poll(() => refusals).toContainEqual(expect.stringContaining(`viewer: POST /api/executions/${id}/get_user/cancel refused: Origin "${foreign}" is not this viewer`));
    } finally {
      attacker.closeAllConnections();
      await new Promise<void>((r) => attacker.close(() => r()));
    }
    const record = await scenario.harness.executor.journal.get({ executionId: id, actionId: 'get_user' });
    expect(record?.stateValue).toBe('backingOff');
    await page.close();
  });
});
