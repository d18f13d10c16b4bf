/**
 * Group commit (DESIGN §6 "Commit rule"): writes that arrive in the same tick share one database
 * transaction. Each caller gets its own result (or error) and resolves only after the transaction that
 * holds its write has committed, so "await the commit, then start the side effect" still holds per
 * caller. While a flush runs (an async backend's round trip), newer writes queue for the next one.
 */

/** One queued unit of work; `apply` runs inside the shared transaction. */
interface Queued<Tx> {
  apply: (tx: Tx) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Per-unit outcome of a flush: the unit's value, or the error that undid only that unit. */
export type UnitOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs every unit of a batch in one transaction. Returns one outcome per unit (a failing unit is
 * rolled back alone, e.g. to a savepoint); throws when the transaction itself fails, which fails them all.
 */
export type FlushBatch<Tx> = (units: readonly ((tx: Tx) => unknown)[]) => Promise<UnitOutcome[]> | UnitOutcome[];

export class GroupCommitQueue<Tx> {
  private queue: Queued<Tx>[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;

  constructor(private readonly flushBatch: FlushBatch<Tx>) {}

  /** Queues one unit; resolves with its value after its transaction committed. */
  submit<T>(apply: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ apply, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far has been flushed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      if (this.flushing) await this.flushing;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every write of this turn of the event loop (all the responses
    // that arrived in one poll phase, and the microtasks they started) joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flushNow().finally(() => {
        this.flushing = null;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flushNow(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: UnitOutcome[];
    try {
      outcomes = await this.flushBatch(batch.map((unit) => unit.apply));
    } catch (error) {
      for (const unit of batch) unit.reject(error);
      return;
    }
    batch.forEach((unit, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) unit.resolve(outcome.value);
      else unit.reject(outcome ? outcome.error : new Error('group commit returned no outcome for a unit'));
    });
  }
}
