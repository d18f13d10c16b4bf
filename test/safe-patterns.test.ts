/**
 * Issue 13 item 3 (DESIGN §1 promise 3): every user-supplied pattern runs on a linear-time engine, and
 * a pattern that engine cannot compile is rejected when the file holding it loads, with the file and
 * the JSON path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyOutcome, type ClassifyContext } from '../src/failure/classification.ts';
import { createInMemoryCatalog, loadCatalogFromDir } from '../src/catalog/catalog-registry.ts';
import { createDefinitionRegistry, loadDefinitionsFromDir } from '../src/definitions/definition-registry.ts';
import { ApiCatalogEntrySchema, type ApiCatalogEntry, type ApiCatalogEntryInput } from '../src/schemas/catalog.ts';
import type { AttemptOutcome } from '../src/http/http-types.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { makeActionDefinition, makeCatalogEntry } from './fixtures.ts';
import { NOW, jsonBody, responseOutcome, textBody } from './outcome-fixtures.ts';
import { thrownActionError } from './support/thrown.ts';

/** `(a+)+$` backtracks exponentially on a run of `a`s that does not end the text. */
const EVIL = '(a+)+$';
/** 28 `a`s then `!`: seconds per text for a backtracking engine, microseconds for RE2. */
const HOSTILE_MESSAGE = `${'a'.repeat(28)}!`;
const HOSTILE_BODY = jsonBody({ message: HOSTILE_MESSAGE });

function entry(overrides: Partial<ApiCatalogEntryInput>): ApiCatalogEntry {
  return ApiCatalogEntrySchema.parse(makeCatalogEntry({ apiId: 'example', baseUrl: 'https://api.example.com/v1', errorMappings: [], rateLimiting: undefined, healthCheck: undefined, ...overrides }));
}

function ctx(overrides: Partial<ClassifyContext>): ClassifyContext {
  return { definition: makeActionDefinition({ knownErrors: [], rateLimit: undefined }), entry: null, method: 'POST', refreshableAuth: false, idempotencyKeySent: false, now: NOW, ...overrides };
}

/** Classifies and returns how long it took; the bound is generous (a backtracking engine takes seconds). */
function timedClassify(outcome: AttemptOutcome, context: ClassifyContext): { ms: number; result: ReturnType<typeof classifyOutcome> } {
  const start = performance.now();
  const result = classifyOutcome(outcome, context);
  return { ms: performance.now() - start, result };
}

describe('issue 13 item 3: user patterns match in linear time', () => {
  it(`catalog errorMappings[].pattern ${EVIL} against a ${HOSTILE_BODY.size}-byte body classifies in well under a second`, () => {
    expect(HOSTILE_BODY.size).toBeGreaterThan(30);
    const e = entry({ errorMappings: [{ pattern: EVIL, category: 'auth_invalid', retryable: false }] });
    const { ms, result } = timedClassify(responseOutcome({ status: 500, body: HOSTILE_BODY }), ctx({ entry: e }));
    expect(ms).toBeLessThan(1_000);
    // It did not match (the text ends in "!"), so the standard table decided.
    expect(!result.ok && result.error.category).toBe('api_unexpected_status');
  });

  it(`catalog errorMappings[].header.pattern ${EVIL} against a hostile header value classifies in well under a second`, () => {
    const e = entry({ errorMappings: [{ header: { name: 'X-Error', pattern: EVIL }, category: 'auth_invalid', retryable: false }] });
    const { ms } = timedClassify(responseOutcome({ status: 500, headers: { 'x-error': HOSTILE_MESSAGE } }), ctx({ entry: e }));
    expect(ms).toBeLessThan(1_000);
  });

  it(`rateLimiting.detection.bodyPatterns ${EVIL} against a hostile body classifies in well under a second`, () => {
    const e = entry({ rateLimiting: { detection: { statusCodes: [429], headers: [], bodyPatterns: [EVIL] }, extraction: {}, backoffStrategy: { type: 'exponential' } } });
    const { ms } = timedClassify(responseOutcome({ status: 429, body: HOSTILE_BODY }), ctx({ entry: e }));
    expect(ms).toBeLessThan(1_000);
  });

  it(`knownErrors[].pattern ${EVIL} against a hostile text body classifies in well under a second`, () => {
    const definition = makeActionDefinition({ knownErrors: [{ pattern: EVIL, category: 'validation_failed', suggestion: 's' }] });
    const { ms } = timedClassify(responseOutcome({ status: 400, body: textBody(HOSTILE_MESSAGE.repeat(2)) }), ctx({ definition }));
    expect(ms).toBeLessThan(1_000);
  });

  it('patterns stay case-insensitive, as API messages vary in case between versions', () => {
    const definition = makeActionDefinition({ knownErrors: [{ pattern: 'CARD_DECLINED', category: 'validation_failed', suggestion: 'Use another card.' }] });
    const e = entry({ errorMappings: [{ header: { name: 'X-Reason', pattern: '^Lock_Timeout$' }, category: 'api_unexpected_status', retryable: true }] });
    const known = classifyOutcome(responseOutcome({ status: 402, body: jsonBody({ error: { code: 'card_declined' } }) }), ctx({ definition }));
    expect(!known.ok && known.error.suggestion).toBe('Use another card.');
    const mapped = classifyOutcome(responseOutcome({ status: 409, headers: { 'x-reason': 'LOCK_TIMEOUT' } }), ctx({ entry: e }));
    expect(!mapped.ok && mapped.error.context.classifiedBy).toContain('errorMappings[0]');
  });
});

describe('issue 13 item 3: patterns RE2 cannot compile are rejected at load time', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ae-patterns-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, value: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
  };

  it('a catalog file with a backreference, a lookahead and a lookbehind names the file, each JSON path and why', () => {
    const bad = makeCatalogEntry({
      apiId: 'bad',
      errorMappings: [
        { pattern: '(lock)\\1', category: 'api_unexpected_status', retryable: true },
        { status: 409, header: { name: 'X-Error', pattern: 'lock(?=ed)' }, category: 'api_unexpected_status', retryable: true },
      ],
    });
    bad.rateLimiting!.detection.bodyPatterns = ['rate limit', '(?<!no )quota'];
    const badFile = write('bad.json', bad);
    write('good.json', makeCatalogEntry({ apiId: 'good' }));

    const { catalog, problems } = loadCatalogFromDir(dir);
    expect(problems.map((p) => [p.file, p.path])).toEqual([
      [badFile, '$.errorMappings[0].pattern'],
      [badFile, '$.errorMappings[1].header.pattern'],
      [badFile, '$.rateLimiting.detection.bodyPatterns[1]'],
    ]);
    expect(problems[0]?.message).toContain('invalid escape sequence: `\\1`');
    expect(problems[1]?.message).toContain('unsupported Perl syntax: `(?=`');
    for (const problem of problems) expect(problem.message).toMatch(/RE2 syntax, which has no backreferences or lookaround/);
    return expect(catalog.getAllApis()).resolves.toEqual(['good']);
  });

  it('a definition file whose knownErrors pattern uses a backreference is rejected with file and path; the good one loads', () => {
    const badFile = write('bad.json', makeActionDefinition({ id: 'bad', knownErrors: [{ pattern: '(["\'])declined\\1', category: 'validation_failed', suggestion: 's' }] }));
    write('good.json', makeActionDefinition({ id: 'good' }));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: badFile, path: '$.knownErrors[0].pattern' });
    expect(problems[0]?.message).toContain('RE2');
    expect(registry.list().map((d) => d.id)).toEqual(['good']);
  });

  it('in-memory catalogs and definition registries refuse such patterns too, listing each problem', () => {
    const catalogError = thrownActionError(() => createInMemoryCatalog([makeCatalogEntry({ errorMappings: [{ pattern: '(?=x)', category: 'auth_invalid', retryable: false }] })]));
    expect(catalogError.detail.code).toBe('INVALID_CATALOG_ENTRY');
    expect(catalogError.message).toContain('$.errorMappings[0].pattern');
    const definitions: ActionDefinition[] = [makeActionDefinition({ knownErrors: [{ pattern: '(a)\\1', category: 'validation_failed', suggestion: 's' }] })];
    const definitionError = thrownActionError(() => createDefinitionRegistry(definitions));
    expect(definitionError.detail.code).toBe('INVALID_DEFINITION');
    expect(definitionError.message).toContain('$.knownErrors[0].pattern');
  });

  it('RE2 syntax JavaScript users write (classes, \\s, \\d, anchors, alternation, named groups) still loads', () => {
    write('ok.json', makeActionDefinition({ knownErrors: [{ pattern: '^"ok":\\s*false|code=\\d{3}|(?<kind>quota|rate) exceeded$', category: 'validation_failed', suggestion: 's' }] }));
    expect(loadDefinitionsFromDir(dir).problems).toEqual([]);
  });
});
