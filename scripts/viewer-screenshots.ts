/**
 * Takes the screenshots in docs/viewer.md with a real headless Chromium:
 *
 *   npx tsx scripts/viewer-screenshots.ts [outDir=docs]
 *
 * It runs `npm run demo`'s scenarios into a fresh journal, starts one more execution that backs off
 * for a long time against a local API (streaming to the inspector, as `execute --inspect` does), serves
 * the viewer on that journal, and photographs the list, the demo's retried execution, the live page and
 * the inspector. Then the plans: the onboarding plan runs once more (a copy under a new id, on a fresh
 * demo API) until it waits for its confirmation, and the plans list, that paused plan and the demo's
 * completed one are photographed. Everything runs on 127.0.0.1; nothing is fetched from the internet.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium } from 'playwright-core';
import { runDemo } from '../src/demo/demo.ts';
import { createActionExecutor } from '../src/execution/executor.ts';
import { loadDefinitionsFromDir } from '../src/definitions/definition-registry.ts';
import { openCliInspector } from '../src/cli/inspector.ts';
import { startViewer } from '../src/viewer/viewer-server.ts';
import { createPlanFeature } from '../src/viewer/plan-feature.ts';
import { createPlanExecutor } from '../src/plans/plan-executor.ts';
import { startDemoApi } from '../src/demo/demo-api.ts';
import { viewerStateFile } from '../src/viewer/viewer-state-file.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';

const CHROMIUM_PATH = process.env['ACTION_EXECUTOR_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const outDir = resolve(process.argv[2] ?? 'docs');
const work = mkdtempSync(join(tmpdir(), 'ae-screens-'));
const log = (line: string): void => void process.stdout.write(`${line}\n`);

// 1. The demo's executions: retries, a 429, an HTML error page, a timeout, payments, a crash and resume.
const sink = new PassThrough().resume();
if ((await runDemo({ stdout: sink, stderr: sink, cwd: work })) !== 0) throw new Error('the demo did not finish as expected; no screenshots taken');
const demo = join(work, '.action-executor/demo');
const dbPath = join(demo, 'journal.db');
const { registry } = loadDefinitionsFromDir(join(demo, 'definitions'));
log(`demo journal: ${dbPath}`);

// 2. An API that keeps saying "try again in 45 s", so one execution is caught mid-backoff.
const flaky = createServer((_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '45' });
  res.end(JSON.stringify({ error: { message: 'maintenance window, back shortly' } }));
});
await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;

// The demo's credential values (src/demo/demo.ts): the viewer redacts them from everything it serves.
const credentials = { DEMO_TOKEN: 'demo-secret-token-123', DEMO_API_KEY: 'demo-api-key-456' };
const viewerExecutor = createActionExecutor({ db: dbPath, storage: join(demo, 'storage'), definitions: registry, credentials });
const plansFeature = createPlanFeature({ executor: viewerExecutor, definitions: registry, credentials });
const viewer = await startViewer({ executor: viewerExecutor, port: 0, definitionIds: registry.list().map((d) => d.id), stateFile: viewerStateFile(dbPath), extensions: [plansFeature.extension], secrets: Object.values(credentials) });
log(`viewer: ${viewer.url}/`);

const inspector = await openCliInspector({ dbPath, warn: log, command: 'execute' });
const base = registry.get('get-user');
if (!base) throw new Error('the demo definitions have no get-user');
const live = createActionExecutor({
  db: dbPath,
  storage: join(demo, 'storage'),
  definitions: [{ ...base, id: 'get-profile', name: 'Get profile', endpoint: { ...base.endpoint, url: `${flakyUrl}/users/{userId}` }, retryPolicy: { ...base.retryPolicy, maxDelay: 120_000 } }],
  credentials: { DEMO_TOKEN: 'demo-secret-token-123' },
  inspect: inspector.inspect,
});
const liveRequest: ActionExecuteRequest = {
  executionId: '5b0e7a1c-2d3f-4a5b-9c6d-7e8f9a0b1c2d',
  action: { id: 'get_profile' as never, actionDefinitionId: 'get-profile', inputs: { userId: 'u_7' }, dependencies: [], errorHandling: { continueOnFailure: false } },
  context: { credentials: { DEMO_TOKEN: 'demo-secret-token-123' }, previousResults: {} },
};
const running = live.execute(liveRequest).catch(() => undefined);
const liveKey = { executionId: liveRequest.executionId, actionId: 'get_profile' };
for (let i = 0; i < 500 && (await live.journal.get(liveKey))?.stateValue !== 'backingOff'; i++) await new Promise((r) => setTimeout(r, 10));

// 3. The onboarding plan again, under a new id, on a fresh demo API, up to its confirmation.
const planApi = await startDemoApi();
const demoOrigin = new URL(registry.get('get-user')?.endpoint.url ?? 'http://127.0.0.1').origin;
const planExecutor = createActionExecutor({
  db: dbPath,
  storage: join(demo, 'storage'),
  definitions: registry.list().map((d) => ({ ...d, endpoint: { ...d.endpoint, url: d.endpoint.url.replace(demoOrigin, planApi.url) } })),
  credentials,
});
const onboarding = JSON.parse(readFileSync(resolve(import.meta.dirname, '../examples/plans/customer-onboarding.json'), 'utf8')) as { id: string; name: string };
const pausedPlan = { ...onboarding, id: '7c2e9b14-8a3d-4f6e-b1c5-3d9a0e7f2b68', name: `${onboarding.name} (second customer)` };
const planRunner = createPlanExecutor({ executor: planExecutor, definitions: registry });
const paused = await planRunner.executePlan(pausedPlan, { credentials });
if (paused.status !== 'paused_for_confirmation') throw new Error(`the copied onboarding plan did not pause (it is ${paused.status})`);
const { plans: recorded } = await plansFeature.plans.listPlans({ statuses: ['completed'] });
const completedPlan = recorded[0];
if (!completedPlan) throw new Error('the demo recorded no completed plan');

// 4. The pictures.
const profile = mkdtempSync(join(tmpdir(), 'ae-chromium-'));
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: ARGS, viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
try {
  const page = await browser.newPage();
  await page.goto(`${viewer.url}/`);
  await page.waitForSelector('#rows tr');
  await page.waitForSelector('#live.on');
  await page.screenshot({ path: join(outDir, 'viewer-list.png') });
  log('docs: viewer-list.png');

  const { executions } = await viewerExecutor.list({ definitionId: 'get-user' });
  const retried = executions.find((e) => e.attempts > 1 && e.status === 'completed') ?? executions[0];
  if (!retried) throw new Error('the demo recorded no get-user execution');
  await page.goto(`${viewer.url}/executions/${retried.executionId}/${retried.actionId}`);
  await page.waitForSelector('svg.machine .node.current');
  await page.waitForSelector('#timeline tr');
  await page.screenshot({ path: join(outDir, 'viewer-execution.png'), fullPage: true });
  log('docs: viewer-execution.png');

  await page.goto(`${viewer.url}/executions/${liveKey.executionId}/${liveKey.actionId}`);
  await page.waitForSelector('.countdown');
  await page.waitForSelector('#live.on');
  await page.screenshot({ path: join(outDir, 'viewer-live.png') });
  log('docs: viewer-live.png');

  await page.goto(`${viewer.url}/inspect#${encodeURIComponent(`${liveKey.executionId}/${liveKey.actionId}`)}`);
  await page.waitForSelector('#records tr');
  await page.waitForSelector('svg.machine .node.current');
  await page.screenshot({ path: join(outDir, 'viewer-inspector.png') });
  log('docs: viewer-inspector.png');

  await page.goto(`${viewer.url}/plans`);
  await page.waitForSelector('#rows tr');
  await page.waitForSelector('#live.on');
  await page.screenshot({ path: join(outDir, 'viewer-plans.png') });
  log('docs: viewer-plans.png');

  await page.goto(`${viewer.url}/plans/${pausedPlan.id}`);
  await page.waitForSelector('article.confirmation');
  await page.waitForSelector('#live.on');
  await page.fill('#user-id', 'ops@example.com');
  await page.screenshot({ path: join(outDir, 'viewer-plan.png'), fullPage: true });
  log('docs: viewer-plan.png');

  await page.goto(`${viewer.url}/plans/${completedPlan.planId}`);
  await page.waitForSelector('svg.plan-dag .plan-node');
  await page.screenshot({ path: join(outDir, 'viewer-plan-completed.png') });
  log('docs: viewer-plan-completed.png');
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  await live.cancel(liveKey.executionId, liveKey.actionId, 'screenshots taken').catch(() => undefined);
  await running;
  await live.close();
  await inspector.close();
  await viewer.close();
  await plansFeature.close();
  await planRunner.close();
  await planExecutor.close();
  await planApi.close();
  await viewerExecutor.close();
  flaky.close();
  rmSync(work, { recursive: true, force: true });
}
