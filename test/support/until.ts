/**
 * A bounded wait for tests: polls `check` every few milliseconds until it holds, and fails with what
 * was awaited once `timeoutMs` has passed — never an unbounded loop that hangs a suite.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
