/**
 * What a reference is resolved against, and how. Its own module so that references.ts and the
 * per-call session (reference-session.ts) both use it without importing each other.
 */

/** What references read from: the job payload's `context` (spec §3.2). */
export interface ReferenceContext {
  /** Action id → JSON text of that action's output record. */
  previousResults: Record<string, string>;
  /** Credential name → secret value. Values never appear in errors. */
  credentials: Record<string, string>;
}

/** How a value may be resolved. */
export interface ResolveOptions {
  /**
   * Whether `${credentials.NAME}` may appear: true only for authentication fields and headers,
   * never for inputs, which end up in URLs, bodies and logs.
   * @default false
   */
  allowCredentials?: boolean;
  /**
   * Longest chain of references (a reference whose value is a reference, …) before giving up.
   * @default 16
   */
  maxDepth?: number;
}
