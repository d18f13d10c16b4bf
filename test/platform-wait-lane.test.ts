/**
 * One platform wait at a time (src/trigger/platform-wait-lane.ts): the v4 runtime refuses a wait while
 * another is in progress, and a plan's actions back off at the same time. Waits are fakes resolved by
 * hand, so the order is asserted, not timed.
 */
import { describe, expect, it } from 'vitest';
import { createPlatformWaitLane } from '../src/trigger/platform-wait-lane.ts';
import { platformWaitClock } from '../src/trigger/platform-wait-clock.ts';

/** A platform wait that ends when the test says, and that fails like the runtime if another is in progress. */
function fakeRuntime() {
  let active = 0;
  const log: string[] = [];
  const open = new Map<string, () => void>();
  return {
    log,
    open,
    wait(name: string): Promise<void> {
      if (active > 0) return Promise.reject(new Error('Parallel waits are not supported'));
      active += 1;
      log.push(`start ${name}`);
      return new Promise<void>((resolve) => open.set(name, () => {
        active -= 1;
        log.push(`end ${name}`);
        open.delete(name);
        resolve();
      }));
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('platformWaitLane', () => {
  it('starts a wait only once the one before it has ended', async () => {
    const runtime = fakeRuntime();
    const lane = createPlatformWaitLane();
    const a = lane.run(() => runtime.wait('a'));
    const b = lane.run(() => runtime.wait('b'));
    await tick();
    expect(runtime.log).toEqual(['start a']);
    expect(lane.pending).toBe(2);
    runtime.open.get('a')?.();
    await a;
    await tick();
    expect(runtime.log).toEqual(['start a', 'end a', 'start b']);
    runtime.open.get('b')?.();
    await b;
    await tick();
    expect(lane.pending).toBe(0);
  });

  it('a wait that failed does not hold up the next one', async () => {
    const lane = createPlatformWaitLane();
    const failed = lane.run(() => Promise.reject(new Error('503 from the platform API')));
    const next = lane.run(async () => 'ran');
    await expect(failed).rejects.toThrow('503 from the platform API');
    await expect(next).resolves.toBe('ran');
  });

  it('a queued wait whose caller gave up is never started; one already started is still waited behind (the runtime counts it)', async () => {
    const runtime = fakeRuntime();
    const lane = createPlatformWaitLane();
    const first = lane.run(() => runtime.wait('first'));
    const cancel = new AbortController();
    const dropped = lane.run(() => runtime.wait('dropped'), cancel.signal);
    const last = lane.run(() => runtime.wait('last'));
    cancel.abort(new Error('cancelled'));
    await tick();
    runtime.open.get('first')?.();
    await first;
    await expect(dropped).rejects.toThrow('cancelled');
    await tick();
    runtime.open.get('last')?.();
    await last;
    expect(runtime.log).toEqual(['start first', 'end first', 'start last', 'end last']);
  });

  it('platformWaitClock over the lane: two long backoffs at once reach the platform one after the other', async () => {
    const runtime = fakeRuntime();
    const lane = createPlatformWaitLane();
    const dates: string[] = [];
    const clock = platformWaitClock((date, signal) => lane.run(() => {
      dates.push(date.toISOString());
      return runtime.wait(date.toISOString());
    }, signal), { now: () => 0 });
    const a = clock.sleepUntil(90_000);
    const b = clock.sleepUntil(95_000);
    await tick();
    expect(dates).toEqual(['1970-01-01T00:01:30.000Z']);
    runtime.open.get('1970-01-01T00:01:30.000Z')?.();
    await a;
    await tick();
    runtime.open.get('1970-01-01T00:01:35.000Z')?.();
    await b;
    expect(dates).toEqual(['1970-01-01T00:01:30.000Z', '1970-01-01T00:01:35.000Z']);
  });
});
