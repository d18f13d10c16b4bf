/**
 * The CLI's exit codes (DESIGN §8, docs/cli.md "Exit codes"). Scripts branch on them, so a code never
 * changes meaning; a new outcome gets a new code.
 */
export const EXIT = {
  /** The action completed or was skipped (`resume --all`: none failed). */
  ok: 0,
  /** The action failed or was cancelled: a classified, recorded failure. */
  actionFailed: 1,
  /** Bad input or usage: nothing was run or recorded. */
  usage: 2,
  /** An internal or infrastructure error: nothing was recorded as the result; rerun once fixed. */
  internal: 3,
  /** Busy: another live process drives this execution (`--wait` waits for it). */
  busy: 4,
  /** A plan paused for a confirmation (`plan run`). */
  awaitingConfirmation: 5,
  /**
   * Interrupted by SIGINT, SIGTERM or SIGHUP (128 + SIGINT, the shell's convention): stopped at the
   * next journaled point, nothing recorded as the result, leases released; resume carries on.
   */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
