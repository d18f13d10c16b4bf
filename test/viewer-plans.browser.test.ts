/**
 * The viewer's plans pages in a real headless Chromium (issue 12 "Plans"): the DAG shows each action's
 * status; a pending confirmation is confirmed with the button and the page follows the plan as it
 * runs on, without a reload; a rejection ends the action failed `user_cancelled`; Cancel ends a paused
 * plan; the list filters by status; a POST without the token is refused. One browser and one journal
 * for the file, one plan and one page per test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { planKey } from '../src/plans/plan-record.ts';
import { describeWithBrowser, launchBrowserContext, type LaunchedBrowser } from './support/browser.ts';
import { createPlanViewerScenario, mixedPlan, onboardingPlan, PLAN_IDS, type PlanViewerScenario } from './support/plan-viewer-scenario.ts';

describeWithBrowser('viewer plans in Chromium', () => {
  let s: PlanViewerScenario;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    s = await createPlanViewerScenario({ viewer: { pollMs: 50 } });
    // Oldest first: mixed, then one plan per test below, each paused at its confirmation.
    await s.cli.executePlan(mixedPlan());
    for (const [id, name] of [[PLAN_IDS.confirm, 'Confirm me'], [PLAN_IDS.reject, 'Reject me'], [PLAN_IDS.cancel, 'Cancel me']] as const) {
      s.h.clock.advance(1000);
      await s.cli.executePlan(onboardingPlan(id, name));
    }
    browser = await launchBrowserContext();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await s?.cleanup();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(5000);
    await page.goto(`${s.viewer.url}${path}`);
    return page;
  }
  /** Each DAG node's action id → its data-status. */
  const dag = async (page: Page): Promise<Record<string, string | null>> => Object.fromEntries(await Promise.all((await page.locator('svg.plan-dag .plan-node').all()).map(async (n): Promise<[string, string | null]> => [(await n.getAttribute('data-action-id')) ?? '', await n.getAttribute('data-status')])));
  const nodeStatus = (page: Page, actionId: string) => page.locator(`svg.plan-dag .plan-node[data-action-id="${actionId}"]`).getAttribute('data-status');
  const planStatus = async (planId: string) => (await s.h.executor.journal.get(planKey(planId)))?.stateValue;

  it('the DAG shows each action with its status, the alternative marked, and links to the executions that exist', async () => {
    const page = await open(`/plans/${PLAN_IDS.mixed}`);
    await page.waitForSelector('svg.plan-dag .plan-node');
    expect(await dag(page)).toEqual({ lookup: 'completed', flag: 'completed', gated: 'skipped', broken: 'failed', fallback_note: 'completed', order: 'waiting_confirmation', after_order: 'pending' });
    expect(await page.locator('svg.plan-dag .plan-node.alternative').getAttribute('data-action-id')).toBe('fallback_note');
    expect(await page.locator('svg.plan-dag .plan-edge.alternative').count()).toBe(1);
    expect(await page.locator('svg.plan-dag .plan-edge.alternative').getAttribute('data-from')).toBe('broken');
    expect(await page.locator('svg.plan-dag .plan-edge.dependency').count()).toBe(3);
    // Nodes with an execution are links to its page; the waiting one has none yet.
    expect(await page.locator(`svg.plan-dag a[href="/executions/${PLAN_IDS.mixed}/lookup"] .plan-node`).count()).toBe(1);
    expect(await page.locator('svg.plan-dag a .plan-node[data-action-id="order"]').count()).toBe(0);
    expect(await page.textContent('#actions tr[data-action-id="gated"] .why')).toContain('Condition ${flag.output.enabled} is false');
    expect(await page.textContent('#actions tr[data-action-id="broken"] .why')).toMatch(/^api_endpoint_removed: GET .* returned 404/);
    expect(await page.textContent('#actions tr[data-action-id="fallback_note"]')).toContain('alternative of broken');
    expect(await page.isVisible('article.confirmation[data-action-id="order"] button.confirm')).toBe(true);
    expect(await page.textContent('#metrics')).toMatch(/^7 actions: 3 completed, 1 failed, 1 skipped · \d+ ms in all$/);
    expect(JSON.parse((await page.textContent('#result')) ?? '{}')).toMatchObject({ id: PLAN_IDS.mixed, status: 'paused_for_confirmation' });
    // The link leads to the action's own execution page.
    await page.click(`svg.plan-dag a[href="/executions/${PLAN_IDS.mixed}/lookup"]`);
    await page.waitForSelector('#timeline tr');
    expect(new URL(page.url()).pathname).toBe(`/executions/${PLAN_IDS.mixed}/lookup`);
    // …which points back at its plan.
    await page.waitForSelector('#plan-link:not([hidden])');
    expect(await page.textContent('#plan-link')).toBe('an action of plan Every status (paused for confirmation)');
    expect(await page.getAttribute('#plan-link a', 'href')).toBe(`/plans/${PLAN_IDS.mixed}`);
    await page.close();
  });

  it('a pending confirmation is confirmed with the button, and the page shows the plan continue live: the order running, then everything completed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    s.api.script('POST /orders', [{ status: 201, body: { orderId: 'ord_7', status: 'pending' }, gate }]);
    const page = await open(`/plans/${PLAN_IDS.confirm}`);
    try {
      await page.waitForSelector('article.confirmation[data-action-id="order"]');
      await expect.poll(() => page.textContent('#live')).toBe('live');
      await page.evaluate('window.marker = 42');
      await page.fill('#user-id', 'ops@example.com');
      await page.click('article.confirmation[data-action-id="order"] button.confirm');
      await expect.poll(() => page.textContent('#message')).toContain('confirmed order as ops@example.com');
      // The API holds the order: the page shows it running, driven by this viewer.
      await expect.poll(() => nodeStatus(page, 'order')).toBe('running');
      expect(await page.isHidden('#pending-section')).toBe(true);
      expect(await page.textContent('#lease')).toMatch(/^driven by this viewer/);
      release();
      await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('completed');
      expect(await dag(page)).toEqual({ get_user: 'completed', order: 'completed', note: 'completed' });
      expect(await page.textContent('#confirmations tr[data-action-id="order"]')).toMatch(/confirmed.*ops@example\.com/);
      expect(await page.isHidden('#cancel')).toBe(true);
      expect(await page.evaluate('window.marker')).toBe(42); // the same document all along: no reload
      expect(s.api.hitsFor('POST /orders')).toHaveLength(1);
    } finally {
      release();
      await page.close();
    }
  });

  it('a rejection with the button ends the action failed user_cancelled; its dependent is skipped and nothing is ordered', async () => {
    const page = await open(`/plans/${PLAN_IDS.reject}`);
    await page.waitForSelector('article.confirmation[data-action-id="order"]');
    const ordersBefore = s.api.hitsFor('POST /orders').length;
    await page.fill('#user-id', 'auditor');
    await page.click('article.confirmation[data-action-id="order"] button.reject');
    await expect.poll(() => nodeStatus(page, 'order')).toBe('failed');
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('failed');
    expect(await nodeStatus(page, 'note')).toBe('skipped');
    expect(await page.textContent('#actions tr[data-action-id="order"] .why')).toMatch(/^user_cancelled \(CONFIRMATION_REJECTED\): "order" did not run: user auditor rejected the confirmation "Run order\?"/);
    const state = JSON.parse((await page.textContent('#result')) ?? '{}') as { actionStates: Record<string, { result?: { error?: { category: string } } }> };
    expect(state.actionStates['order']?.result?.error?.category).toBe('user_cancelled');
    expect(s.api.hitsFor('POST /orders')).toHaveLength(ordersBefore);
    expect(await planStatus(PLAN_IDS.reject)).toBe('failed');
    await page.close();
  });

  it('Cancel ends a paused plan cancelled; a POST without the session token from the page is refused', async () => {
    const page = await open(`/plans/${PLAN_IDS.cancel}`);
    await page.waitForSelector('#cancel:not([hidden])');
    const refused = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirmed":true}' });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    }, `${s.viewer.url}/api/plans/${PLAN_IDS.cancel}/confirm/order`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('x-viewer-token');
    expect(await planStatus(PLAN_IDS.cancel)).toBe('paused_for_confirmation');
    await page.click('#cancel');
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('cancelled');
    expect(await page.isHidden('#cancel')).toBe(true);
    expect(await page.isHidden('#pending-section')).toBe(true);
    expect(await dag(page)).toEqual({ get_user: 'completed', order: 'skipped', note: 'skipped' });
    await page.close();
  });

  it('the plans list shows the plans newest first and filters them by status', async () => {
    const page = await open('/plans');
    const rows = async () => Promise.all((await page.locator('#rows tr').all()).map((row) => row.getAttribute('data-plan-id')));
    await expect.poll(rows).toHaveLength(4);
    expect((await rows())[3]).toBe(PLAN_IDS.mixed);
    await page.selectOption('#status', 'paused_for_confirmation');
    await expect.poll(async () => (await rows()).includes(PLAN_IDS.mixed)).toBe(true);
    const paused = await Promise.all((await page.locator('#rows tr').all()).map((row) => row.getAttribute('data-status')));
    expect(new Set(paused)).toEqual(new Set(['paused_for_confirmation']));
    expect(new URL(page.url()).searchParams.get('status')).toBe('paused_for_confirmation');
    await page.click(`#rows a[href="/plans/${PLAN_IDS.mixed}"]`);
    await page.waitForSelector('svg.plan-dag .plan-node');
    await page.close();
  });
});
