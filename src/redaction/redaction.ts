/**
 * Redaction (DESIGN §5): applied before anything is journaled, logged, traced or stored.
 * Secret-looking header and JSON field names, Cookie/Set-Cookie, the headers an auth handler added,
 * and every exact secret value (credentials, fetched tokens) wherever it appears become [REDACTED].
 */

export const REDACTED = '[REDACTED]';

/** Names that look secret: token, secret, password, signature, authorization, cookie, api keys. */
const SECRET_NAME = /token|secret|passw|signature|authori[sz]ation|cookie|credential|session|api[-_]?key|access[-_]?key|private[-_]?key|(^|[-_])key$/i;
/** Names that match the pattern above but carry no secret, and matter for debugging. */
const PUBLIC_NAME = /^(idempotency-key|x-idempotency-key|(x-)?ratelimit[-\w]*|retry-after|content-[-\w]+)$/i;
/** Values shorter than this are not replaced as substrings: "a" would shred every text. */
const MIN_SECRET_LENGTH = 4;

/** Whether a header or JSON field of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !PUBLIC_NAME.test(name);
}

export interface Redactor {
  /** Replaces every known secret value (raw and URL-encoded) in a text. */
  text(value: string): string;
  /** Redacts header values by name, by extra names (auth-added headers) and by known values. */
  headers(headers: Record<string, string>, extraSecretNames?: Iterable<string>): Record<string, string>;
  /** Deep-copies a JSON value with secret-named fields and known values redacted. */
  json<T>(value: T): T;
  /** Replaces every known secret form found in raw bytes (binary bodies, streamed bodies). */
  bytes(value: Uint8Array): Buffer;
  /** The longest secret form in bytes (0 when none): how much a streaming redactor must hold back. */
  readonly maxSecretBytes: number;
  /** Adds secret values learned later (e.g. a freshly fetched OAuth token). */
  addSecret(value: string): void;
  /** The number of distinct secret values known. */
  readonly size: number;
}

const REDACTED_BYTES = Buffer.from(REDACTED, 'utf8');

/**
 * The forms a secret takes where it might be echoed: raw, base64, and the URL encodings — both
 * encodeURIComponent's and the WHATWG URL parser's, which also escapes `'` (and `!()*` in stricter
 * encoders) — plus form encoding, where a space is `+`, and JSON string escaping (`\` and `"` doubled
 * up), which is how it sits in the bytes of a JSON body that is recorded unparsed.
 */
function secretForms(secret: string): string[] {
  const component = encodeURIComponent(secret);
  const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // What the WHATWG parser makes of encodeURIComponent's output in a query: `'` escaped, `!()*` kept.
  const parsed = component.replace(/'/g, '%27');
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, component, strict, parsed, form, encodeURI(secret), json, Buffer.from(secret).toString('base64')];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Creates a redactor that knows these secret values (credentials, tokens). */
export function createRedactor(secrets: Iterable<string> = []): Redactor {
  const values = new Set<string>();
  let pattern: RegExp | null = null;

  let byteForms: Buffer[] = [];
  const add = (secret: string): void => {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) return;
    for (const form of secretForms(secret)) {
      if (form.length >= MIN_SECRET_LENGTH) values.add(form);
    }
    pattern = null;
    byteForms = [...values].sort((a, b) => b.length - a.length).map((form) => Buffer.from(form, 'utf8'));
  };
  for (const secret of secrets) add(secret);

  const text = (value: string): string => {
    if (values.size === 0 || typeof value !== 'string') return value;
    // Longest first, so a secret that contains another is replaced whole.
    pattern ??= new RegExp([...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    return value.replace(pattern, REDACTED);
  };

  const json = <T>(value: T): T => {
    const walk = (node: unknown): unknown => {
      if (typeof node === 'string') return text(node);
      if (Array.isArray(node)) return node.map(walk);
      if (node !== null && typeof node === 'object') {
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(node)) {
          out[key] = isSecretName(key) && child !== null && child !== '' ? REDACTED : walk(child);
        }
        return out;
      }
      return node;
    };
    return walk(value) as T;
  };

  const headers = (input: Record<string, string>, extraSecretNames: Iterable<string> = []): Record<string, string> => {
    const extra = new Set([...extraSecretNames].map((n) => n.toLowerCase()));
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(input)) {
      out[name] = extra.has(name.toLowerCase()) || isSecretName(name) ? REDACTED : text(value);
    }
    return out;
  };

  const bytes = (value: Uint8Array): Buffer => {
    let out = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    for (const form of byteForms) {
      if (out.indexOf(form) < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = out.indexOf(form); at >= 0; at = out.indexOf(form, from)) {
        parts.push(out.subarray(from, at), REDACTED_BYTES);
        from = at + form.length;
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  };

  return {
    text,
    headers,
    json,
    bytes,
    get maxSecretBytes() {
      return byteForms[0]?.length ?? 0;
    },
    addSecret: add,
    get size() {
      return values.size;
    },
  };
}
