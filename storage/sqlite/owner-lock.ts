/**
 * Proof of life for lease holders on one machine (DESIGN §6 "Single writer, fenced"; issue 13 items 1–2).
 * Every open SQLite journal holds an exclusive lock on a small file of its own beside the journal
 * (`<journal>.owners/<ownerId>.lock`) for as long as it is open. The kernel drops that lock the instant
 * the process dies — SIGKILL, OOM, a zombie not yet reaped, a container that restarted under a new
 * hostname, a process in another pid namespace — so "the lock can be taken" proves the holder dead,
 * where `kill(pid, 0)` proves nothing across pid namespaces and calls a zombie alive.
 *
 * The lock is SQLite's own (a POSIX advisory lock held by `BEGIN EXCLUSIVE` in a tiny database), which
 * also works between connections of one process: SQLite arbitrates those itself.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What a probe proved about an owner. */
export type OwnerLiveness = 'alive' | 'dead' | 'unknown';

/** Held for the journal's lifetime; `release` drops the lock and deletes the file. */
export interface OwnerLock {
  /** The lock file's name, recorded with every lease this owner takes. */
  readonly name: string;
  release(): void;
}

/** The directory of owner locks of a journal file. */
export function ownerLockDir(journalFile: string): string {
  return `${journalFile}.owners`;
}

const lockName = (ownerId: string): string => `${ownerId.replace(/[^A-Za-z0-9_-]/g, '_')}.lock`;

/**
 * Takes this owner's lock. Returns null when the directory cannot be used (read-only location): leases
 * of this owner then can only be taken over when they expire, which is the safe direction.
 */
export function acquireOwnerLock(dir: string, ownerId: string): OwnerLock | null {
  const name = lockName(ownerId);
  const path = join(dir, name);
  let db: Database.Database | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(path, { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
  } catch {
    db?.close();
    return null;
  }
  const held = db;
  return {
    name,
    release() {
      if (!held.open) return;
      try {
        held.exec('ROLLBACK');
      } finally {
        held.close();
        rmSync(path, { force: true });
        rmSync(`${path}-journal`, { force: true });
      }
    },
  };
}

/**
 * Whether the owner of lock `name` in `dir` still lives. A lock that can be taken, or a lock file that
 * is gone while a lease still names it, means the holder is dead (its file is removed only by the
 * owner itself on close or by {@link sweepOwnerLocks} once it holds no lease). Anything unexpected
 * answers `unknown`: only the lease's expiry may then hand it over.
 */
export function probeOwner(dir: string, name: string): OwnerLiveness {
  if (name !== lockName(name.replace(/\.lock$/, ''))) return 'unknown';
  const path = join(dir, name);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: 0, fileMustExist: true });
  } catch (error) {
    return (error as { code?: string }).code === 'SQLITE_CANTOPEN' ? 'dead' : 'unknown';
  }
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return 'dead';
  } catch (error) {
    return (error as { code?: string }).code === 'SQLITE_BUSY' ? 'alive' : 'unknown';
  } finally {
    db.close();
  }
}

/**
 * Deletes the lock files of dead owners that hold no lease any more (`holdsLeases` asks the journal),
 * so the directory does not grow with every crashed process. Bounded: looks at most at `max` files.
 */
export function sweepOwnerLocks(dir: string, holdsLeases: (name: string) => boolean, max = 1000): number {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.lock')).slice(0, max);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (probeOwner(dir, name) !== 'dead' || holdsLeases(name)) continue;
    rmSync(join(dir, name), { force: true });
    rmSync(join(dir, `${name}-journal`), { force: true });
    removed += 1;
  }
  return removed;
}
