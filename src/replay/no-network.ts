/**
 * The network of a replay: none. Every path by which the effects could reach the network — the
 * undici pool an attempt is sent through, and the fetch of OAuth token requests and health probes —
 * is replaced by one that refuses before a socket is opened, and counts the refusal. The replay loop
 * never asks for a send (a recorded attempt is fed back, an unrecorded one ends the replay); this is
 * the guarantee underneath that, should any code path try anyway.
 */
import { Dispatcher } from 'undici';

/** What a replay throws where a request would have been sent. */
export class ReplayNetworkRefused extends Error {
  constructor(readonly target: string) {
    super(`replay sends no request, but something tried to reach ${target}`);
    this.name = 'ReplayNetworkRefused';
  }
}

/** A dispatcher that opens no connection: every dispatch throws {@link ReplayNetworkRefused}. */
class RefusingDispatcher extends Dispatcher {
  constructor(private readonly refuse: (target: string) => never) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions): boolean {
    return this.refuse(`${String(options.origin ?? '')}${options.path}`);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) callback();
    else return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    if (callback) callback();
    else return Promise.resolve();
  }
}

/** The replay's network: what the effects get instead of the real pool and fetch. */
export interface NoNetwork {
  dispatcher: Dispatcher;
  fetch: typeof fetch;
  /** Requests refused so far: a replay reports it, and it must stay 0. */
  readonly refused: number;
}

/** A network that refuses every request and counts the refusals. */
export function createNoNetwork(): NoNetwork {
  let refused = 0;
  const refuse = (target: string): never => {
    refused += 1;
    throw new ReplayNetworkRefused(target);
  };
  const refusingFetch = (async (input: string | URL | Request) => refuse(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)) as typeof fetch;
  return {
    dispatcher: new RefusingDispatcher(refuse),
    fetch: refusingFetch,
    get refused() {
      return refused;
    },
  };
}
