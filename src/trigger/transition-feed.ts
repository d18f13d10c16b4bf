/**
 * The executor takes one `onTransition` listener for all its executions; a worker keeps one executor
 * for its whole life and runs many task runs on it. The feed hands each run the transitions of its
 * own execution only, for as long as the run subscribes.
 */
import type { TransitionInfo } from '../execution/executor-api.ts';
import type { ExecutionKey } from '../../storage/journal.ts';

/** Transitions by execution. */
export interface TransitionFeed {
  /** Pass as the executor's `onTransition`. */
  readonly emit: (info: TransitionInfo) => void;
  /** Calls `listener` with each transition of `key` until the returned function is called. */
  subscribe(key: ExecutionKey, listener: (info: TransitionInfo) => void): () => void;
}

const keyOf = (key: ExecutionKey): string => `${key.executionId}\u0000${key.actionId}`;

/** Creates an empty feed. A listener that throws is isolated: the executor and other listeners go on. */
export function createTransitionFeed(onListenerError: (error: unknown) => void = () => undefined): TransitionFeed {
  const listeners = new Map<string, Set<(info: TransitionInfo) => void>>();
  return {
    emit(info) {
      const forKey = listeners.get(keyOf(info));
      if (!forKey) return;
      for (const listener of [...forKey]) {
        try {
          listener(info);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(key, listener) {
      const id = keyOf(key);
      const forKey = listeners.get(id) ?? new Set();
      forKey.add(listener);
      listeners.set(id, forKey);
      return () => {
        forKey.delete(listener);
        if (forKey.size === 0 && listeners.get(id) === forKey) listeners.delete(id);
      };
    },
  };
}
