/**
 * Waiting for a plan commit this process makes, without polling. The plan runner reports a
 * `plan-status` progress event after every commit it makes (plan-runner.ts `report`); the viewer's
 * plan executor hands its events here, and a request that handed an answer or a cancel to the plan
 * waits for the commit that records it — then answers, while the plan runs on. Every wait is bounded.
 */
import type { PlanProgressEvent } from '../plans/plan-executor-api.ts';

export interface PlanActivity {
  /** Give it every progress event of the viewer's plan executor. */
  onProgress(event: PlanProgressEvent): void;
  /**
   * Resolves with the first result of `check` that is not undefined: `check` runs now and again
   * after each commit of plan `planId`. Resolves undefined after `timeoutMs`, or when `signal` aborts.
   */
  waitFor<T>(planId: string, check: () => Promise<T | undefined>, timeoutMs: number, signal?: AbortSignal): Promise<T | undefined>;
  /** Waits in progress (for tests: none is left behind). */
  readonly waiting: number;
}

export function createPlanActivity(): PlanActivity {
  const listeners = new Map<string, Set<() => void>>();
  let waiting = 0;
  return {
    onProgress(event) {
      if (event.type !== 'plan-status') return;
      for (const listener of listeners.get(event.planId) ?? []) listener();
    },
    async waitFor(planId, check, timeoutMs, signal) {
      let dirty = true;
      let over = false;
      let wake: () => void = () => undefined;
      const listener = (): void => {
        dirty = true;
        wake();
      };
      const stop = (): void => {
        over = true;
        wake();
      };
      const set = listeners.get(planId) ?? new Set();
      listeners.set(planId, set);
      set.add(listener);
      waiting += 1;
      const timer = setTimeout(stop, timeoutMs);
      timer.unref();
      signal?.addEventListener('abort', stop, { once: true });
      if (signal?.aborted) over = true;
      try {
        // One check per commit at most (a commit that lands during a check marks it dirty again).
        while (!over) {
          if (!dirty) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          dirty = false;
          const result = await check();
          if (result !== undefined) return result;
        }
        return undefined;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        set.delete(listener);
        if (set.size === 0 && listeners.get(planId) === set) listeners.delete(planId);
        waiting -= 1;
      }
    },
    get waiting() {
      return waiting;
    },
  };
}
