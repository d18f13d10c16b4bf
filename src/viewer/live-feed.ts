/**
 * Live updates from the journal (docs/viewer.md "Live updates"). The viewer runs in its own process, so
 * it cannot hear another process's transitions: it polls. Every tick it asks each watched source (an
 * execution, a list query) for a cheap fingerprint — one indexed row read — and rebuilds and pushes the
 * full view only when that changed. Sources are shared by every page watching the same thing, and a
 * tick looks at no more than `maxPerTick` of them (round robin), so the work per tick is bounded
 * however many pages are open.
 */

/** One thing pages watch: how to fingerprint it cheaply, and how to build what is pushed. */
export interface WatchSource {
  /** A fingerprint of the current state, and how to load the payload for it; undefined when it is gone. */
  read(): Promise<{ fingerprint: string; load: () => Promise<unknown> } | undefined>;
}

export type WatchListener = (payload: unknown) => void;

export interface LiveFeedOptions {
  /** Poll period; 0 polls only when `tick()` is called (tests). @default 250 */
  intervalMs?: number;
  /** Sources looked at per tick at most. @default 64 */
  maxPerTick?: number;
  /** Called when reading a source fails (the journal is busy, say); the source is retried next tick. */
  onError?: (key: string, error: unknown) => void;
}

export interface LiveFeed {
  /**
   * Starts watching `key` (sources with the same key are shared); the listener gets the current payload
   * at once and every changed one after. Returns the function that stops it.
   */
  watch(key: string, source: WatchSource, listener: WatchListener): () => void;
  /** One poll round (the timer calls it; tests call it directly). */
  tick(): Promise<void>;
  /** How many sources are watched. */
  readonly size: number;
  close(): void;
}

interface Watched {
  source: WatchSource;
  /** Each listener, with the fingerprint it was last sent. */
  listeners: Map<WatchListener, string | undefined>;
  /** Reads of one source run one at a time, so a payload is never pushed twice. */
  queue: Promise<void>;
  busy: number;
}

export const LIVE_FEED_DEFAULTS = { intervalMs: 250, maxPerTick: 64 } as const;

export function createLiveFeed(options: LiveFeedOptions = {}): LiveFeed {
  const intervalMs = options.intervalMs ?? LIVE_FEED_DEFAULTS.intervalMs;
  const maxPerTick = options.maxPerTick ?? LIVE_FEED_DEFAULTS.maxPerTick;
  const watched = new Map<string, Watched>();
  let cursor = 0;
  let ticking: Promise<void> | undefined;

  /** Runs `job` after the source's earlier reads. */
  function serial(key: string, entry: Watched, job: () => Promise<void>): Promise<void> {
    entry.busy += 1;
    entry.queue = entry.queue
      .then(job)
      .catch((error: unknown) => options.onError?.(key, error))
      .finally(() => (entry.busy -= 1));
    return entry.queue;
  }

  /** Reads the source and sends its payload to every listener that has not had this fingerprint yet. */
  const check = (key: string, entry: Watched): Promise<void> =>
    serial(key, entry, async () => {
      const current = await entry.source.read();
      if (!current) return;
      if ([...entry.listeners.values()].every((sent) => sent === current.fingerprint)) return;
      const payload = await current.load();
      for (const [listener, sent] of entry.listeners) {
        if (sent === current.fingerprint) continue;
        entry.listeners.set(listener, current.fingerprint);
        listener(payload);
      }
    });

  async function round(): Promise<void> {
    const entries = [...watched.entries()];
    if (entries.length === 0) return;
    const count = Math.min(maxPerTick, entries.length);
    const batch = Array.from({ length: count }, (_, i) => entries[(cursor + i) % entries.length]!);
    cursor = (cursor + count) % entries.length;
    // A source still busy with an earlier read gets no second one queued (the work per tick stays
    // bounded); the round just waits for it to finish.
    await Promise.all(batch.map(([key, entry]) => (entry.busy > 0 ? entry.queue : check(key, entry))));
  }

  const tick = (): Promise<void> => {
    // Rounds never overlap: a slow journal delays the next poll instead of piling polls up.
    ticking ??= round().finally(() => (ticking = undefined));
    return ticking;
  };

  const timer = intervalMs > 0 ? setInterval(() => void tick(), intervalMs) : undefined;
  timer?.unref();

  return {
    watch(key, source, listener) {
      let entry = watched.get(key);
      if (!entry) {
        entry = { source, listeners: new Map(), queue: Promise.resolve(), busy: 0 };
        watched.set(key, entry);
      }
      const own = entry;
      own.listeners.set(listener, undefined);
      // The newcomer needs the current payload now, not at the next change.
      void check(key, own);
      return () => {
        own.listeners.delete(listener);
        if (own.listeners.size === 0 && watched.get(key) === own) watched.delete(key);
      };
    },
    tick,
    get size() {
      return watched.size;
    },
    close() {
      if (timer) clearInterval(timer);
      watched.clear();
    },
  };
}
