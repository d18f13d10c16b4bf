/**
 * The `${...}` reference syntax (DESIGN §4 "References"): parsing a template string into literal
 * text and references. Resolution lives in references.ts; this file only knows the grammar.
 *
 *   template  = { text | "$${" | reference }          "$${" is a literal "${"
 *   reference = "${" ( action | credential | env ) "}"
 *   action    = id ".output" { "." key | "[" digits "]" | "[" json-string "]" }
 *   credential= "credentials." name        env = "env." name
 *   id, key, name = [A-Za-z0-9_-]+
 *
 * This accepts everything the spec's ActionReference regex accepts and, in addition, `-` in ids and
 * keys and quoted keys (`["@odata.nextLink"]`) for field names no dotted path can spell.
 */

/** One navigation step into an action's output. */
export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number };

/** A parsed reference. `text` is its canonical form without `${}` (used in chains and cycle checks). */
export type Reference =
  | { kind: 'action'; actionId: string; path: PathSegment[]; text: string }
  | { kind: 'credential'; name: string; text: string }
  | { kind: 'env'; name: string; text: string };

/** A piece of a template: literal text (escapes already applied) or a reference with its raw source. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'ref'; ref: Reference; raw: string };

/** Why a reference could not be parsed. Offsets are 0-based within the template. */
export interface ReferenceSyntaxError {
  /** Where the offending reference starts (its `$`). */
  start: number;
  /** Where parsing stopped. */
  position: number;
  /** What the grammar allowed there. */
  expected: string;
  /** What was there instead: a quoted character or `end of text`. */
  found: string;
  /** The offending reference as written, up to its closing `}` (or the end of the template). */
  raw: string;
}

export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; error: ReferenceSyntaxError };

const IDENT = /[A-Za-z0-9_-]+/y;
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
const DIGITS = /[0-9]+/y;
/** Longer indexes cannot address a real array and would lose precision as numbers. */
const MAX_INDEX_DIGITS = 9;

function readWith(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  const match = pattern.exec(source);
  return match === null ? null : match[0];
}

function describeChar(char: string | undefined): string {
  return char === undefined ? 'end of text' : JSON.stringify(char);
}

/** Canonical text of a path appended to a base, e.g. `a.output` + `users[0].name`. */
export function formatPath(base: string, path: readonly PathSegment[]): string {
  let text = base;
  for (const segment of path) {
    if (segment.kind === 'index') text += `[${segment.index}]`;
    else text += PLAIN_KEY.test(segment.key) ? `.${segment.key}` : `[${JSON.stringify(segment.key)}]`;
  }
  return text;
}

type ParseStep = { ok: true; ref: Reference; end: number } | { ok: false; position: number; expected: string };

/** Parses one reference whose `${` starts at `start`. */
function parseReference(source: string, start: number): ParseStep {
  let i = start + 2;
  const fail = (expected: string, position: number = i): ParseStep => ({ ok: false, position, expected });

  const root = readWith(IDENT, source, i);
  if (root === null) return fail('an action id, "credentials" or "env" after "${"');
  i += root.length;
  if (source[i] !== '.') {
    return fail(root === 'credentials' || root === 'env' ? `"." and a name after "${root}"` : `".output" after the action id "${root}"`);
  }
  i++;

  if (root === 'credentials' || root === 'env') {
    const name = readWith(IDENT, source, i);
    if (name === null) return fail(root === 'credentials' ? 'a credential name after "credentials."' : 'a variable name after "env."');
    i += name.length;
    if (source[i] !== '}') return fail(`"}" after the name "${name}"`);
    const ref: Reference = root === 'credentials'
      ? { kind: 'credential', name, text: `credentials.${name}` }
      : { kind: 'env', name, text: `env.${name}` };
    return { ok: true, ref, end: i + 1 };
  }

  const output = readWith(IDENT, source, i);
  if (output !== 'output') return fail(`"output" after "${root}." (references read \${${root}.output.field})`);
  i += output.length;

  const path: PathSegment[] = [];
  for (;;) {
    const char = source[i];
    if (char === '}') {
      return { ok: true, ref: { kind: 'action', actionId: root, path, text: formatPath(`${root}.output`, path) }, end: i + 1 };
    }
    if (char === '.') {
      const key = readWith(IDENT, source, i + 1);
      if (key === null) return fail('a key name after "." (use ["key"] for names with other characters)', i + 1);
      path.push({ kind: 'key', key });
      i += 1 + key.length;
      continue;
    }
    if (char === '[') {
      const digits = readWith(DIGITS, source, i + 1);
      if (digits !== null) {
        if (digits.length > MAX_INDEX_DIGITS) return fail(`an index of at most ${MAX_INDEX_DIGITS} digits`, i + 1);
        if (source[i + 1 + digits.length] !== ']') return fail('"]" after the index', i + 1 + digits.length);
        path.push({ kind: 'index', index: Number(digits) });
        i += 2 + digits.length;
        continue;
      }
      if (source[i + 1] === '"') {
        let k = i + 2;
        while (k < source.length && source[k] !== '"') k += source[k] === '\\' ? 2 : 1;
        if (k >= source.length) return fail('a closing \'"\' for the quoted key', source.length);
        let key: unknown;
        try {
          key = JSON.parse(source.slice(i + 1, k + 1));
        } catch {
          return fail('a valid JSON string as the quoted key', i + 1);
        }
        if (source[k + 1] !== ']') return fail('"]" after the quoted key', k + 1);
        path.push({ kind: 'key', key: key as string });
        i = k + 2;
        continue;
      }
      return fail('an index like [0] or a quoted key like ["name"] after "["', i + 1);
    }
    if (char === undefined) return fail('"}" to close the reference');
    return fail('".key", "[index]" or "}"');
  }
}

/**
 * Splits a template into literal text and references.
 *
 * `lenient` is for text that came out of previous results rather than from the plan: a `${` that
 * does not start a well-formed reference stays literal text there (API data may legitimately hold
 * shell snippets like `${HOME}`), while in a template the plan author wrote it is an error.
 */
export function parseTemplate(template: string, lenient = false): TemplateParse {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  for (;;) {
    const dollar = template.indexOf('$', i);
    if (dollar === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    if (template.startsWith('$${', dollar)) {
      text += '${';
      i = dollar + 3;
      continue;
    }
    if (template[dollar + 1] !== '{') {
      text += '$';
      i = dollar + 1;
      continue;
    }
    const step = parseReference(template, dollar);
    if (step.ok) {
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'ref', ref: step.ref, raw: template.slice(dollar, step.end) });
      i = step.end;
      continue;
    }
    if (lenient) {
      text += '${';
      i = dollar + 2;
      continue;
    }
    const close = template.indexOf('}', dollar);
    return {
      ok: false,
      error: {
        start: dollar,
        position: step.position,
        expected: step.expected,
        found: describeChar(template[step.position]),
        raw: template.slice(dollar, close === -1 ? template.length : close + 1),
      },
    };
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { ok: true, parts };
}
