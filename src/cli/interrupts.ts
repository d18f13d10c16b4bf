/**
 * SIGINT, SIGTERM and SIGHUP while a command drives executions (issue 13 "Signals"): the first one
 * interrupts the executor — every run stops at its next journaled point, an in-flight request may
 * finish and have its outcome committed, the leases are released — and the command then exits
 * `EXIT.interrupted` saying how to resume. A second signal exits at once: the journal is consistent
 * at every instant, and the owner lock makes a takeover immediate.
 */
import type { ActionExecutor } from '../execution/executor.ts';
import { EXIT } from './exit-codes.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Interrupts `executor` on the first signal; returns a function that removes the handlers. */
export function interruptOnSignals(executor: Pick<ActionExecutor, 'interrupt'>, warn: (line: string) => void): () => void {
  let interrupted = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      warn(`${signal} again: exiting now (the journal is consistent; resume carries on)`);
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    warn(`${signal}: stopping at the next journaled point (send it again to exit at once)`);
    void executor.interrupt(signal).catch(() => undefined);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}
