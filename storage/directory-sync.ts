/**
 * Group commit for directory fsyncs. Every atomic save ends with a rename followed by an fsync of the
 * directory, so the rename survives a power loss. One fsync of a directory makes durable every rename
 * that happened in it before the fsync started — so concurrent saves in one directory can share one:
 * callers that arrive while an fsync is running wait for the next one, which starts when the running
 * one ends and serves all of them. Each caller still gets an fsync that began after its own rename.
 */
import { fsyncDirectory } from './temp-file.ts';

interface DirectoryQueue {
  running: boolean;
  waiting: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** Creates a syncer; `sync(dir)` resolves once an fsync of `dir` that started after the call has finished. */
export function createDirectorySyncer(fsync: (directory: string) => Promise<void> = fsyncDirectory): { sync(directory: string): Promise<void> } {
  const queues = new Map<string, DirectoryQueue>();

  const start = (directory: string, queue: DirectoryQueue): void => {
    const batch = queue.waiting;
    queue.waiting = [];
    queue.running = true;
    void fsync(directory).then(
      () => {
        for (const waiter of batch) waiter.resolve();
      },
      (error: unknown) => {
        for (const waiter of batch) waiter.reject(error);
      },
    ).finally(() => {
      queue.running = false;
      if (queue.waiting.length > 0) start(directory, queue);
      else queues.delete(directory);
    });
  };

  return {
    sync(directory) {
      let queue = queues.get(directory);
      if (queue === undefined) {
        queue = { running: false, waiting: [] };
        queues.set(directory, queue);
      }
      const current = queue;
      return new Promise<void>((resolve, reject) => {
        current.waiting.push({ resolve, reject });
        if (!current.running) start(directory, current);
      });
    },
  };
}
