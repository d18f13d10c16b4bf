/**
 * Tests that need a real service (PostgreSQL, Chromium) must say so when it is absent instead of
 * passing silently, and must run for real in CI (issue 10: "in CI they always run"). The decision
 * is a pure function so it can be tested on its own; `describeWithService` applies it to vitest.
 */
import { describe, it } from 'vitest';

/** Whether the service is there; when it is not, the reason a person reads (with what to run). */
export type ServiceAvailability = { available: true } | { available: false; reason: string };

/** What to do with a suite that needs a service. */
export type ServiceGuardDecision =
  | { mode: 'run'; title: string }
  | { mode: 'skip'; title: string; notice: string }
  | { mode: 'fail'; title: string; message: string };

/**
 * Present: run. Absent on a developer's machine: skip, with the reason in the suite's title and in a
 * printed notice. Absent with `CI=true`: fail, because CI is where these tests must run.
 */
export function decideServiceGuard(title: string, availability: ServiceAvailability, ci: boolean): ServiceGuardDecision {
  if (availability.available) return { mode: 'run', title };
  if (ci) return { mode: 'fail', title, message: `CI=true but ${availability.reason}. .ci/run starts it before the tests; these tests must not be skipped in CI.` };
  return { mode: 'skip', title: `${title} [skipped: ${availability.reason}]`, notice: `skipped "${title}": ${availability.reason}` };
}

/** `CI=true` in the environment, as CI sets it. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['CI'] === 'true';
}

/** describe() guarded by {@link decideServiceGuard}. */
export function describeWithService(title: string, availability: ServiceAvailability, body: () => void): void {
  const decision = decideServiceGuard(title, availability, inCi());
  if (decision.mode === 'run') {
    describe(title, body);
  } else if (decision.mode === 'skip') {
    console.warn(decision.notice);
    describe.skip(decision.title, body);
  } else {
    describe(decision.title, () => {
      it('has the service it needs', () => {
        throw new Error(decision.message);
      });
    });
  }
}
