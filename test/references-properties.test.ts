/**
 * Property-based tests (fast-check, fixed seeds) for reference resolution: whatever the plan author
 * writes and whatever previous actions returned, resolution either returns or throws an ActionError
 * whose detail is a valid ErrorDetail — never a TypeError, RangeError or SyntaxError — and never
 * prints a credential value or mutates its inputs.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isActionError } from '../src/failure/errors.ts';
import { formatPath, type PathSegment } from '../src/references/reference-syntax.ts';
import { ErrorDetailSchema, type ErrorDetail } from '../src/schemas/errors.ts';
import {
  credentialNamesIn,
  resolveCondition,
  resolveCredentialTemplate,
  resolveInputs,
  resolveValue,
  type ReferenceContext,
} from '../src/references/references.ts';

const RUNS = 300;

/** Calls `fn`; returns the detail of a structured failure, `undefined` on success, and rethrows anything else. */
function outcome(fn: () => unknown): ErrorDetail | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (!isActionError(error)) throw error;
    const parsed = ErrorDetailSchema.safeParse(error.detail);
    if (!parsed.success) throw new Error(`ActionError with an invalid detail: ${parsed.error.message}`);
    return parsed.data;
  }
}

/** Pieces that make the parser work hard: reference starts, escapes, brackets, quotes, reserved roots. */
const FRAGMENTS = [
  '${', '}', '$${', '$', '{', '.', 'output', 'a', 'b', 'loop', 'users', 'name', '[0]', '[1]', '[', ']', '["', '"]', '"',
  'credentials', 'env', 'KEY', '\\', '-', '9', ' ', '__proto__', 'constructor', '\u0000', '😀',
];

const fragmentText = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((parts) => parts.join(''));
/** Text a plan author (or an API) could produce: structured noise, or any string at all. */
const anyText = fc.oneof(fragmentText, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

/** The JSON text of an output record whose values are templates, JSON text or arbitrary JSON. */
const outputText = fc
  .dictionary(fc.constantFrom('x', 'y', 'users', 'name', 'output', '__proto__'), fc.oneof(anyText, fc.json({ maxDepth: 3 })), { maxKeys: 5 })
  .map((record) => JSON.stringify(record));

/** previousResults: mostly record text, sometimes any JSON or plain garbage. */
const previousResults = fc.dictionary(fc.constantFrom('a', 'b', 'loop', 'users'), fc.oneof(outputText, outputText, fc.json({ maxDepth: 3 }), anyText), { maxKeys: 4 });

/**
 * A realistic credential value: a distinctive prefix plus the token alphabet. No message may contain
 * the prefix at all, which also catches a secret cut in half by truncation (a partial leak). No "."
 * in the alphabet: a template that spells a secret as a dotted path (`${a.output.sk_live_x.y}`) is
 * split into keys by the grammar, and a message naming one key is not the resolver leaking data.
 */
const SECRET_PREFIX = 'sk_live_';
const secretValue = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 4, maxLength: 24 })
  .map((tail) => `${SECRET_PREFIX}${tail}`);

const context = (results: Record<string, string>, credentials: Record<string, string> = {}): ReferenceContext => ({ previousResults: results, credentials });

describe('arbitrary input never produces an unstructured throw', () => {
  it('resolveInputs on arbitrary templates against arbitrary previous results', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), anyText, { maxKeys: 4 }), previousResults, (inputs, results) => {
        outcome(() => resolveInputs(inputs, context(results, { KEY: 'credential-value-1' })));
      }),
      { seed: 20250314, numRuns: RUNS },
    );
  });

  it('references to arbitrary paths in arbitrary JSON', () => {
    const segment: fc.Arbitrary<PathSegment> = fc.oneof(
      fc.record({ kind: fc.constant('key' as const), key: fc.oneof(fc.constantFrom('x', 'users', 'name', '0', 'constructor'), fc.string({ maxLength: 6 })) }),
      fc.record({ kind: fc.constant('index' as const), index: fc.nat({ max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.array(segment, { maxLength: 6 }), fc.boolean(), (data, path, embedded) => {
        const ref = `\${a.output.data${formatPath('', path)}}`;
        const results = { a: JSON.stringify({ data }) };
        outcome(() => resolveValue(embedded ? `[${ref}]` : ref, context(results)));
      }),
      { seed: 7, numRuns: RUNS },
    );
  });

  it('arbitrary previous-result text, including invalid JSON, behind a valid reference', () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom('${a.output}', '${a.output.x}', '${a.output.x.y[0]}', 'v=${a.output.users[1]}'), (text, template) => {
        outcome(() => resolveInputs({ v: template }, context({ a: text })));
      }),
      { seed: 1234, numRuns: RUNS },
    );
  });

  it('conditions, credential templates and credentialNamesIn on arbitrary text', () => {
    fc.assert(
      fc.property(anyText, previousResults, (text, results) => {
        outcome(() => resolveCondition(text, context(results)));
        outcome(() => resolveCredentialTemplate(text, { KEY: 'credential-value-1' }, 'headers.Authorization'));
        expect(Array.isArray(credentialNamesIn(text))).toBe(true);
      }),
      { seed: 99, numRuns: RUNS },
    );
  });
});

describe('properties of successful resolution', () => {
  /** JSON without strings that resolution would reinterpret (JSON-looking text or templates). */
  const inertJson = fc.json({ maxDepth: 4 }).map((text) => JSON.parse(text) as unknown)
    .filter((value) => !JSON.stringify(value).includes('${') && !/"\s*[[{]/.test(JSON.stringify(value)));

  /** Every path to every node of a JSON value. */
  function paths(value: unknown, prefix: PathSegment[] = []): PathSegment[][] {
    const out: PathSegment[][] = [prefix];
    if (Array.isArray(value)) value.forEach((item, index) => out.push(...paths(item, [...prefix, { kind: 'index', index }])));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, { kind: 'key', key }]));
    }
    return out;
  }

  function at(value: unknown, path: PathSegment[]): unknown {
    let node = value;
    for (const segment of path) node = (node as Record<string | number, unknown>)[segment.kind === 'key' ? segment.key : segment.index];
    return node;
  }

  it('a whole-string reference to any node of stored JSON returns exactly that node', () => {
    fc.assert(
      fc.property(inertJson, fc.nat(), (value, pick) => {
        // The output record holds a nested object as JSON text, as the response → output step stores it.
        const data = { value };
        const all = paths(data);
        const path = all[pick % all.length]!;
        const results = { a: JSON.stringify({ data: JSON.stringify(data) }) };
        expect(resolveValue(`\${a.output.data${formatPath('', path)}}`, context(results))).toEqual(at(data, path));
      }),
      { seed: 42, numRuns: RUNS },
    );
  });

  it('resolution never mutates deeply frozen inputs or context', () => {
    const freeze = <T>(value: T): T => {
      if (typeof value === 'object' && value !== null) {
        Object.values(value).forEach(freeze);
        Object.freeze(value);
      }
      return value;
    };
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), anyText, { maxKeys: 3 }), previousResults, (inputs, results) => {
        const ctx = context(results, { KEY: 'credential-value-1' });
        const before = structuredClone({ inputs, ctx });
        outcome(() => resolveInputs(freeze(inputs), freeze(ctx)));
        expect({ inputs, ctx }).toEqual(before);
      }),
      { seed: 5, numRuns: RUNS },
    );
  });
});

describe('credential values never appear in errors', () => {
  it('whatever the data and the template, no message, suggestion or context value contains a credential, even in part', () => {
    const placed = (secret: string) => fc.oneof(
      anyText,
      anyText.map((text) => `${text}${secret}`),
      fc.constant(`\${credentials.${secret}}`),
      fc.constant(`\${a.output["${secret}"]}`),
      fc.constant(`\${a.output.${secret}.x}`),
      // Make the resolver quote whole values (type mismatches), so truncation meets the secret.
      fc.constantFrom('${a.output[0]}', '${a.output.x.y}', '${a.output.x[0]}', '${a.output.nope}'),
    );
    fc.assert(
      fc.property(
        secretValue.chain((secret) => fc.tuple(fc.constant(secret), placed(secret), placed(secret), fc.constantFrom('x', secret), fc.boolean())),
        ([secret, template, stored, key, allow]) => {
          const results = { a: JSON.stringify({ [key]: stored, x: `${secret}-suffix` }) };
          const ctx = context(results, { TOKEN: secret });
          for (const detail of [
            outcome(() => resolveValue(template, ctx, { allowCredentials: allow, field: `headers.${template.slice(0, 90)}` })),
            outcome(() => resolveCredentialTemplate(template, ctx.credentials, 'headers.Authorization')),
            outcome(() => resolveCondition(template, ctx)),
          ]) {
            if (detail === undefined) continue;
            for (const text of [detail.message, detail.suggestion ?? '', ...Object.values(detail.context)]) {
              expect(text).not.toContain(SECRET_PREFIX);
            }
          }
        },
      ),
      { seed: 31337, numRuns: RUNS },
    );
  });
});
