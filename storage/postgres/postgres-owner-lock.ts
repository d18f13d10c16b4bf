/**
 * Proof of life for lease holders across machines (DESIGN §6 "Single writer, fenced"; issue 10).
 * Every open Postgres journal holds a session-level advisory lock, `pg_advisory_lock(AElk, key)`, on
 * a connection of its own for as long as it is open. Postgres releases a session lock the instant
 * that session ends — the process was SIGKILLed, ran out of memory, its container was deleted, its
 * journal was closed — so "another session can take the lock" proves the holder gone, on any machine.
 * The key is recorded with every lease the journal takes; `acquireLease` probes it with
 * `pg_try_advisory_xact_lock` inside the transaction that takes the lease over.
 *
 * Keys are 32 bits (the two-int form, with the namespace as the first int), derived from the owner
 * id. Two live journals can never share one: the lock itself arbitrates, and a journal whose derived
 * key is held (a hash collision, or the same owner id opened twice) takes the next free one. So a
 * collision can only make a *dead* holder's key look alive, when a live journal happens to hold the
 * same key: its leases are then taken over when they expire instead of at once — late, never unsafe.
 *
 * The server notices a dead client when its socket closes: at once when the process dies (its OS
 * closes the socket), and within the TCP keepalive time when the whole machine vanishes, which is why
 * the lock connection asks the server for short keepalives. Until then, the lease TTL still applies.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PostgresInfrastructureError } from './postgres-infrastructure-error.ts';
import { describeTarget, type PostgresTarget } from './postgres-url.ts';
import { OWNER_LOCK_NAMESPACE } from './postgres-journal-schema.ts';

/** How many keys after the derived one an opening journal tries before giving up. */
const KEY_SLOTS = 32;

/**
 * Server-side keepalives on the lock connection (user-settable GUCs): a vanished machine's lock is
 * released after about idle + interval × count = 25 s, not the OS default of two hours.
 */
export const LOCK_KEEPALIVE_OPTIONS = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';

/** The derived key of an owner id: the first 32 bits of its SHA-256, as a signed int4. */
export function ownerLockKey(ownerId: string): number {
  return createHash('sha256').update(`action-executor owner ${ownerId}`).digest().readInt32BE(0);
}

/** The held lock of one journal. */
export class PostgresOwnerLock {
  private client: pg.Client;
  private held = true;
  private closed = false;
  private reconnecting: Promise<void> | null = null;

  private constructor(
    private readonly config: pg.ClientConfig,
    private readonly target: PostgresTarget,
    private readonly fail: (operation: string, error: unknown) => Error,
    client: pg.Client,
    private currentKey: number,
    private pid: number,
  ) {
    this.client = client;
    this.watch(client);
  }

  /** Connects and takes the owner's key (or the next free one). */
  static async acquire(config: pg.ClientConfig, target: PostgresTarget, ownerId: string, fail: (operation: string, error: unknown) => Error): Promise<PostgresOwnerLock> {
    const { client, key, pid } = await PostgresOwnerLock.connect(config, target, ownerLockKey(ownerId), fail);
    return new PostgresOwnerLock(config, target, fail, client, key, pid);
  }

  private static async connect(config: pg.ClientConfig, target: PostgresTarget, preferred: number, fail: (operation: string, error: unknown) => Error) {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    try {
      await client.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
      for (let slot = 0; slot < KEY_SLOTS; slot += 1) {
        const key = (preferred + slot) | 0;
        const taken = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [OWNER_LOCK_NAMESPACE, key]);
        if (taken.rows[0]?.ok === true) return { client, key, pid };
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw fail('owner lock', error);
    }
    await client.end().catch(() => undefined);
    throw new PostgresInfrastructureError('POSTGRES_BUSY', `PostgreSQL journal owner lock at ${describeTarget(target)}: the ${KEY_SLOTS} advisory-lock keys this owner may use (namespace ${OWNER_LOCK_NAMESPACE}) are all held by other sessions.`, {
      target,
      suggestion: 'Another program uses advisory locks in this namespace, or an owner id is opened many times at once; give each journal its own ownerId.',
    });
  }

  /** Notices the connection ending (server restart, pg_terminate_backend, network loss). */
  private watch(client: pg.Client): void {
    const lost = (): void => {
      if (this.client === client) this.held = false;
    };
    client.on('error', lost);
    client.on('end', lost);
  }

  /** The key this journal holds, recorded with every lease it takes. */
  get key(): number {
    return this.currentKey;
  }

  /** The server process of the lock's session (pg_stat_activity.pid), for diagnostics and tests. */
  get backendPid(): number {
    return this.pid;
  }

  /** Whether the lock is held as far as this process knows (its connection has not reported an end). */
  get isHeld(): boolean {
    return this.held && !this.closed;
  }

  /**
   * Takes the lock again if its connection died, preferring the same key. Called before every
   * write, so a journal that lost its proof of life regains it before it writes, or fails the write
   * as an infrastructure error when the database cannot be reached.
   */
  async ensure(): Promise<void> {
    if (this.held || this.closed) return;
    this.reconnecting ??= (async () => {
      try {
        const { client, key, pid } = await PostgresOwnerLock.connect(this.config, this.target, this.currentKey, this.fail);
        this.client = client;
        this.currentKey = key;
        this.pid = pid;
        this.held = true;
        this.watch(client);
      } finally {
        this.reconnecting = null;
      }
    })();
    await this.reconnecting;
  }

  /** Ends the session, which releases the lock: from now on this owner counts as dead. */
  async release(): Promise<void> {
    this.closed = true;
    await this.reconnecting?.catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
