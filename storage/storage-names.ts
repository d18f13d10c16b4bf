/**
 * What a storage collection or id may look like. Both become path components under the storage root,
 * so anything that could escape it or collide with the provider's own files is refused up front with
 * a message that says what is allowed — an escape is never "normalised" into something else.
 */
import { actionError } from '../src/failure/errors.ts';

/** Suffix of the metadata sidecar next to each stored file; reserved, so no id may end with it. */
export const SIDECAR_SUFFIX = '.meta.json';
/** Longest id or collection segment: leaves room under the 255-byte file-name limit for suffixes. */
export const MAX_NAME_LENGTH = 200;

const ALLOWED_CHARACTER = /[A-Za-z0-9._\-=@+]/;
const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9._\-=@+]*$/;

/** The rule, as shown in every refusal. */
export const NAME_RULE =
  `1–${MAX_NAME_LENGTH} characters of letters, digits and . _ - = @ +, starting with a letter or digit`;

/** Why a single name (id or collection segment) is not allowed, or null when it is fine. */
function problemWith(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long (at most ${MAX_NAME_LENGTH})`;
  if (!ALLOWED.test(name)) {
    if (name.startsWith('.')) return 'starts with "." (hidden and temporary files are reserved)';
    const bad = [...name].find((character) => !ALLOWED_CHARACTER.test(character)) ?? name[0] ?? '';
    return `contains the character ${JSON.stringify(bad)}`;
  }
  return null;
}

/**
 * Checks a collection: one or more names joined by "/" (e.g. `results` or `bodies/2026`). Returns
 * its segments. Refuses absolute paths, backslashes, empty, "." and ".." segments, NUL and anything
 * outside {@link NAME_RULE}.
 */
export function checkCollection(collection: string): string[] {
  const refuse = (reason: string): never => {
    throw actionError('validation_failed', `Storage collection ${JSON.stringify(collection)} is not allowed: it ${reason}. A collection is one or more names joined by "/", each ${NAME_RULE}.`, {
      code: 'INVALID_STORAGE_COLLECTION',
      context: { collection, reason },
      suggestion: 'Use a plain name such as "results" or "bodies/2026"; collections cannot point outside the storage directory.',
    });
  };
  if (typeof collection !== 'string' || collection.length === 0) return refuse('is empty');
  if (collection.startsWith('/') || /^[A-Za-z]:/.test(collection)) return refuse('is an absolute path');
  if (collection.includes('\\')) return refuse('contains a backslash');
  const segments = collection.split('/');
  for (const segment of segments) {
    const problem = problemWith(segment);
    if (problem !== null) return refuse(segment === '' ? 'has an empty segment' : segment === '..' ? 'has a ".." segment' : `has a segment that ${problem}`);
  }
  return segments;
}

/**
 * Checks an id: a single file name, {@link NAME_RULE}, not ending in {@link SIDECAR_SUFFIX}.
 * A path separator is refused rather than treated as a sub-directory: ids name files, collections
 * name directories.
 */
export function checkId(collection: string, id: string): void {
  let reason: string | null;
  if (typeof id !== 'string') reason = 'is not a string';
  else if (id.startsWith('/') || /^[A-Za-z]:[\\/]/.test(id)) reason = 'is an absolute path';
  else if (id.includes('/') || id.includes('\\')) reason = 'contains a path separator ("/" or "\\")';
  else if (id.endsWith(SIDECAR_SUFFIX)) reason = `ends in "${SIDECAR_SUFFIX}", which is reserved for metadata sidecars`;
  else reason = problemWith(id);
  if (reason === null) return;
  throw actionError('validation_failed', `Storage id ${JSON.stringify(id)} in collection ${JSON.stringify(collection)} is not allowed: it ${reason}. An id is ${NAME_RULE}, not ending in "${SIDECAR_SUFFIX}".`, {
    code: 'INVALID_STORAGE_ID',
    context: { collection, id, reason },
    suggestion: 'Derive ids from safe characters only (e.g. hash free-form action ids); ids cannot point outside their collection.',
  });
}
