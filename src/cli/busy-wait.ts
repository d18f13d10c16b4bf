/**
 * `--wait [SECONDS]`: when another live process drives the execution (`LEASE_HELD`), try again with a
 * bounded backoff until that process ends — then the retry returns its recorded result, or takes the
 * lease over and carries on — or until the time is up, then fail busy (exit 4) as without --wait.
 * Retrying is safe: a refused attempt wrote and sent nothing.
 */
import { ActionError, isActionError } from '../failure/errors.ts';
import type { Clock } from '../support/clock.ts';
import { UsageError } from './cli-input.ts';

/** The backoff between tries: doubling from `initialMs`, never longer than `maxMs`. */
export const BUSY_BACKOFF = { initialMs: 200, multiplier: 2, maxMs: 2000 } as const;

export interface BusyWait {
  /** How long to keep trying, in ms; `Infinity` until the holder ends. */
  ms: number;
  /** The flag as typed, for messages (`--wait 30`, `--wait`). */
  shownAs: string;
}

/**
 * `--wait`'s value: undefined (not given) → no waiting; `''` (given bare) → until the holder ends;
 * a number of seconds → at most that long.
 */
export function parseBusyWait(value: string | undefined): BusyWait | undefined {
  if (value === undefined) return undefined;
  if (value === '') return { ms: Number.POSITIVE_INFINITY, shownAs: '--wait' };
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) {
    throw new UsageError(`--wait takes a number of seconds (or nothing: wait until the holder ends), not ${JSON.stringify(value)}`, {
      code: 'INVALID_FLAG_VALUE',
      context: { flag: '--wait', value },
    });
  }
  return { ms: Math.round(seconds * 1000), shownAs: `--wait ${value}` };
}

const isBusy = (error: unknown): error is ActionError => isActionError(error) && error.detail.code === 'LEASE_HELD';

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * Runs `attempt`; while it is refused as busy and time is left, sleeps (on `clock`) and runs it again.
 * `onWaiting` is told once, at the first refusal. When the time is up, the last refusal is thrown
 * with how long was waited.
 */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, wait: BusyWait | undefined, clock: Clock, onWaiting: (error: ActionError, wait: BusyWait) => void): Promise<T> {
  const started = clock.now();
  let delay: number = BUSY_BACKOFF.initialMs;
  for (let tries = 0; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || wait === undefined) throw error;
      const left = started + wait.ms - clock.now();
      if (left <= 0) {
        const waited = clock.now() - started;
        throw new ActionError(
          { ...error.detail, message: `${error.detail.message} Waited ${seconds(waited)} (${wait.shownAs}); it is still held.`, context: { ...error.detail.context, waitedMs: String(waited) } },
          { cause: error },
        );
      }
      if (tries === 0) onWaiting(error, wait);
      const sleep = Math.min(delay, left);
      await clock.sleepUntil(clock.now() + sleep);
      delay = Math.min(delay * BUSY_BACKOFF.multiplier, BUSY_BACKOFF.maxMs);
    }
  }
}

/** The one line printed when waiting starts: `busy: <who holds it> — waiting up to 30 s for it (--wait 30)`. */
export function waitingLine(error: ActionError, wait: BusyWait): string {
  const how = wait.ms === Number.POSITIVE_INFINITY ? 'waiting until it ends' : `waiting up to ${seconds(wait.ms)} for it`;
  return `busy: ${error.detail.message} — ${how} (${wait.shownAs})`;
}
