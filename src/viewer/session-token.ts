/**
 * The viewer's per-session token (docs/viewer.md "Security model"): a random value that exists only in
 * the served pages, the viewer's state file (mode 0600) and the viewer's memory. Every state-changing
 * request must carry it, so a page on another origin — which can send requests to 127.0.0.1 but cannot
 * read our pages — can never cancel, resume or inject anything.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The request header that carries the token. */
export const TOKEN_HEADER = 'x-viewer-token';

/** A fresh token: 32 random bytes, base64url (safe in a header, a meta tag and JSON). */
export function createSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison: both sides are hashed first, so neither the length nor the first
 * differing byte of a guess shows in the time it takes to refuse it.
 */
export function tokensMatch(expected: string, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}
