/**
 * Why a Trigger.dev run's signal aborted, in words for the cancelled execution's reason: the
 * platform aborts it when the run is cancelled, and the worker's timeout manager when the run
 * exceeds its `maxDuration` (core's TaskRunExceededMaxDuration, which the SDK does not export).
 */

/** The reason, e.g. `the Trigger.dev run was cancelled (run cancelled)`. */
export function abortReasonText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TaskRunExceededMaxDuration') {
    const limit = (reason as { timeoutInSeconds?: unknown }).timeoutInSeconds;
    return `the Trigger.dev run exceeded its maxDuration${typeof limit === 'number' ? ` of ${limit} s of compute` : ''}`;
  }
  if (typeof reason === 'string' && reason !== '') return `the Trigger.dev run was cancelled (${reason})`;
  return 'the Trigger.dev run was cancelled';
}
