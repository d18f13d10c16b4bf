/**
 * Replay (issue 12): every demo scenario, journaled against the demo's faulty local API, replays
 * offline from its journal to the same decisions and the same final state — and the API sees no
 * request while it does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoApi, type DemoApi } from '../src/demo/demo-api.ts';
import { replayRecording } from '../src/replay/replay-recording.ts';
import { createHarness, type Harness } from './support/executor-harness.ts';
import { demoDefinitions, recordingFrom, runDemoScenarios, type DemoScenario } from './support/replay-fixtures.ts';

const PLAN = '0b9e1a52-5d7c-4f3e-9a61-2c8d4e6f7a80';
const CRASH_PLAN = '5f4e3d2c-1b0a-4c9d-8e7f-6a5b4c3d2e1f';

let api: DemoApi;
let harness: Harness;
let scenarios: DemoScenario[];

beforeAll(async () => {
  api = await startDemoApi({ port: 0, slowMs: 1000 });
  harness = createHarness(demoDefinitions(api.url, { slowSearchTimeoutMs: 40 }), { credentials: { DEMO_TOKEN: 'demo-secret-token-123' } });
  scenarios = await runDemoScenarios(harness, PLAN, CRASH_PLAN);
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
});

describe('replay of the demo scenarios', () => {
  it('journals six scenarios, one of them written by two executors', () => {
    expect(scenarios.map((s) => s.status)).toEqual(['completed', 'completed', 'failed', 'failed', 'completed', 'completed']);
  });

  for (const index of [0, 1, 2, 3, 4, 5]) {
    it(`demo scenario ${index + 1} replays to the same decisions and final state, sending nothing`, async () => {
      const scenario = scenarios[index]!;
      const recording = await recordingFrom(harness.dbPath, scenario.key);
      const hitsBefore = JSON.stringify(api.stats.requests);

      const report = await replayRecording(recording);

      expect(report.divergences, scenario.title).toEqual([]);
      expect(report.outcome).toBe('same');
      expect(report.steps.every((step) => step.verdict === 'same')).toBe(true);
      // Every journaled transition was reproduced, in order.
      expect(report.steps.map((s) => `${s.from}>${s.to}:${s.event}`)).toEqual(recording.transitions.filter((t) => t.from !== 'created').map((t) => `${t.from}>${t.to}:${t.event}`));
      expect(report.finalState).toEqual(recording.result);
      expect(report.finalState?.status).toBe(scenario.status);
      expect(report.requestsRefused).toBe(0);
      expect(JSON.stringify(api.stats.requests)).toBe(hitsBefore);
    });
  }

  it('the jittered retry of scenario 1 is replayed from its recorded draw, not a new one', async () => {
    const recording = await recordingFrom(harness.dbPath, scenarios[0]!.key);
    const retry = recording.transitions.find((t) => t.event === 'RETRY');
    const draws = (retry?.data as { facts?: { random?: number[] } }).facts?.random;
    expect(draws).toHaveLength(1);
    const report = await replayRecording(recording);
    const replayed = report.steps.find((s) => s.event === 'RETRY');
    expect(replayed?.data.delayMs).toBe((retry?.data as { delayMs: number }).delayMs);
    expect(replayed?.notes).toBeUndefined();
  });
});
