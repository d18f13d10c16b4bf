import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInMemoryCatalog, loadCatalogFromDir } from '../src/catalog/catalog-registry.ts';
import { createDefinitionRegistry, loadDefinitionsFromDir } from '../src/definitions/definition-registry.ts';
import { formatProblem, jsonPathOf } from '../src/definitions/load-problem.ts';
import { ACCEPTED_SCHEMA_STRINGS } from '../src/validation/schema-language.ts';
import { compileDefinitionSchemas, validateInputs } from '../src/validation/validation.ts';
import { makeActionDefinition, makeCatalogEntry } from './fixtures.ts';
import { thrownActionError } from './support/thrown.ts';

const EXAMPLES_DIR = fileURLToPath(new URL('../examples/definitions', import.meta.url));

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-executor-registries-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a file into the temp dir: objects as pretty JSON (so line numbers are realistic), strings as-is. */
function write(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content, null, 2));
  return file;
}

const failure = thrownActionError;

describe('loadDefinitionsFromDir', () => {
  it('loads every *.json file in name order and ignores other files and subdirectories', () => {
    write('b.json', makeActionDefinition({ id: 'b' }));
    write('a.json', makeActionDefinition({ id: 'a' }));
    write('notes.txt', 'not a definition');
    write('c.json.bak', '{');
    mkdirSync(join(dir, 'nested.json'));
    write('nested.json/d.json', makeActionDefinition({ id: 'd' }));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(problems).toEqual([]);
    expect(registry.list().map((d) => d.id)).toEqual(['a', 'b']);
    expect(registry.get('a')?.name).toBe('Create order');
    expect(registry.get('d')).toBeUndefined();
  });

  it('the example definitions in examples/definitions load with no problems', () => {
    const { registry, problems } = loadDefinitionsFromDir(EXAMPLES_DIR);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(registry.list().map((d) => d.id)).toEqual(['create-order', 'create-payment', 'get-report', 'get-user', 'list-orders', 'send-notification', 'slow-search']);
    const createOrder = registry.get('create-order');
    expect(createOrder?.endpoint.headers['Idempotency-Key']).toBe('{idempotencyKey}');
    expect(registry.get('send-notification')?.authentication).toMatchObject({ type: 'api_key', value: '${credentials.DEMO_API_KEY}' });
    // The examples' schemas really validate: a reference string is coerced, a bad currency is named.
    expect(validateInputs(createOrder!, { customerId: 'cus_1', amount: '1999', currency: 'EUR' })).toMatchObject({ amount: 1999 });
    expect(() => validateInputs(createOrder!, { customerId: 'cus_1', amount: '1999', currency: 'euro' })).toThrow(/`currency` must match pattern/);
  });

  it('loaded definitions are frozen and their schemas are compiled once', () => {
    write('a.json', makeActionDefinition({ id: 'frozen_def' }));
    const definition = loadDefinitionsFromDir(dir).registry.get('frozen_def')!;
    expect(Object.isFrozen(definition)).toBe(true);
    expect(Object.isFrozen(definition.inputSchema)).toBe(true);
    expect(() => {
      (definition.endpoint as { timeout: number }).timeout = 1;
    }).toThrow(TypeError);
    expect(compileDefinitionSchemas(definition)).toBe(compileDefinitionSchemas(definition));
  });

  it('a schema violation names the file, the JSON path and what was expected; the good files still load', () => {
    write('good.json', makeActionDefinition({ id: 'good' }));
    const bad = write('bad.json', makeActionDefinition({ id: 'bad', retryPolicy: { ...makeActionDefinition().retryPolicy, maxAttempts: 11 } }));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(problems.map(formatProblem)).toEqual([`${bad}: $.retryPolicy.maxAttempts: Too big: expected number to be <=10; received number 11`]);
    expect(registry.list().map((d) => d.id)).toEqual(['good']);
  });

  it.each([
    ['a missing field', '$.description', (d: Record<string, unknown>) => delete d['description'], 'required field is missing (expected string)'],
    ['a bad semver', '$.version', (d: Record<string, unknown>) => (d['version'] = '1.2'), 'must match pattern'],
    [
      'an unknown error category in a list',
      '$.retryPolicy.retryableErrors[1]',
      (d: Record<string, unknown>) => ((d['retryPolicy'] as Record<string, unknown>)['retryableErrors'] = ['network_timeout', 'server_error']),
      'received string "server_error"',
    ],
    [
      'a header value that is not a string',
      '$.endpoint.headers["X-Trace"]',
      (d: Record<string, unknown>) => ((d['endpoint'] as Record<string, unknown>)['headers'] = { 'X-Trace': 1 }),
      'expected string, received number',
    ],
    [
      'an unknown authentication type',
      '$.authentication.type',
      (d: Record<string, unknown>) => (d['authentication'] = { type: 'basic' }),
      "Expected 'bearer' | 'api_key' | 'oauth2' | 'custom'",
    ],
    ['an invalid URL', '$.endpoint.url', (d: Record<string, unknown>) => ((d['endpoint'] as Record<string, unknown>)['url'] = 'api/users'), 'Invalid URL; received string "api/users"'],
  ])('reports %s at %s', (_, path, mutate, message) => {
    const definition = makeActionDefinition() as unknown as Record<string, unknown>;
    mutate(definition);
    write('def.json', definition);
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(registry.list()).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: join(dir, 'def.json'), path });
    expect(problems[0]?.message).toContain(message);
  });

  it('invalid JSON is reported with the line and column', () => {
    const file = write('broken.json', '{\n  "id": "x",\n  "name": tru\n}\n');
    const { problems } = loadDefinitionsFromDir(dir);
    expect(problems.map(formatProblem)).toEqual([`${file}: $: invalid JSON at line 3, column 14: expected "true", found control character U+000A`]);
  });

  it.each([
    ['a trailing comma', '{\n  "id": "x",\n}', 'invalid JSON at line 3, column 1: expected a property name in double quotes, found "}"'],
    ['single quotes', "{ 'id': 'x' }", 'invalid JSON at line 1, column 3: expected a property name in double quotes or \'}\', found "\'"'],
    ['an empty file', '', 'invalid JSON at line 1, column 1: expected a JSON value'],
  ])('invalid JSON with %s says where', (_, text, message) => {
    write('broken.json', text);
    expect(loadDefinitionsFromDir(dir).problems[0]?.message).toContain(message);
  });

  it('a UTF-8 byte-order mark is tolerated; bytes that are not UTF-8 are reported', () => {
    write('bom.json', `\uFEFF${JSON.stringify(makeActionDefinition({ id: 'with_bom' }))}`);
    write('latin1.json', Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(registry.get('with_bom')).toBeDefined();
    expect(problems.map(formatProblem)).toEqual([`${join(dir, 'latin1.json')}: $: file is not UTF-8 text; save it as UTF-8`]);
  });

  it('a file holding an array of definitions is reported, not half-loaded', () => {
    write('many.json', [makeActionDefinition()]);
    expect(loadDefinitionsFromDir(dir).problems[0]?.message).toBe('expected one action definition object per file, found an array');
  });

  it('a duplicate id keeps the first file and names both', () => {
    const first = write('a.json', makeActionDefinition({ id: 'dup', name: 'First' }));
    const second = write('b.json', makeActionDefinition({ id: 'dup', name: 'Second' }));
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(registry.get('dup')?.name).toBe('First');
    expect(problems.map(formatProblem)).toEqual([`${second}: $.id: duplicate id "dup": already defined in ${first}; this file is ignored`]);
  });

  it('a bad schema-language string is reported at its JSON path, with what is accepted', () => {
    write('def.json', makeActionDefinition({ inputSchema: { userId: 'strng' }, outputSchema: { 'data.user.id': 'integr?' } }));
    const { problems } = loadDefinitionsFromDir(dir);
    expect(problems).toEqual([
      { file: join(dir, 'def.json'), path: '$.inputSchema.userId', message: `"strng" is not a known type; did you mean "string"? ${ACCEPTED_SCHEMA_STRINGS}` },
      { file: join(dir, 'def.json'), path: '$.outputSchema["data.user.id"]', message: `"integr" is not a known type; did you mean "integer"? ${ACCEPTED_SCHEMA_STRINGS}` },
    ]);
  });

  it('a misspelled field is reported instead of silently dropped, with the likely intended name', () => {
    const definition = { ...makeActionDefinition(), authentcation: { type: 'bearer', token: 'x', tokenFrom: 'env' } } as Record<string, unknown>;
    (definition['retryPolicy'] as Record<string, unknown>)['maxAttempt'] = 3;
    write('def.json', definition);
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(registry.list()).toEqual([]);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.retryPolicy.maxAttempt: unknown field "maxAttempt" is not part of an action definition; did you mean "maxAttempts"?',
      '$.authentcation: unknown field "authentcation" is not part of an action definition; did you mean "authentication"?',
    ]);
  });

  it('$schema and $comment annotations are allowed', () => {
    write('def.json', { $schema: './action-definition.schema.json', $comment: 'for editors', ...makeActionDefinition({ id: 'annotated' }) });
    const { registry, problems } = loadDefinitionsFromDir(dir);
    expect(problems).toEqual([]);
    expect(registry.get('annotated')).toBeDefined();
  });

  it('a knownErrors pattern that is not a regular expression is reported', () => {
    write('def.json', makeActionDefinition({ knownErrors: [{ pattern: 'card_(declined', category: 'validation_failed', suggestion: 's' }] }));
    const [problem] = loadDefinitionsFromDir(dir).problems;
    expect(problem?.path).toBe('$.knownErrors[0].pattern');
    expect(problem?.message).toContain('is not a valid pattern: error parsing regexp: missing closing ): `card_(declined`');
  });

  it('a directory that does not exist is one problem naming it', () => {
    const missing = join(dir, 'nope');
    const { registry, problems } = loadDefinitionsFromDir(missing);
    expect(registry.list()).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: missing, path: '$' });
    expect(problems[0]?.message).toMatch(/^cannot read the directory \(ENOENT: no such file or directory, scandir .*\); check the path$/);
  });
});

describe('createDefinitionRegistry', () => {
  it('serves frozen copies by id and leaves the caller objects untouched', () => {
    const given = makeActionDefinition({ id: 'mem' });
    const registry = createDefinitionRegistry([given, makeActionDefinition({ id: 'other' })]);
    expect(registry.list().map((d) => d.id)).toEqual(['mem', 'other']);
    expect(registry.get('mem')).toEqual(given);
    expect(registry.get('mem')).not.toBe(given);
    expect(Object.isFrozen(registry.get('mem'))).toBe(true);
    expect(Object.isFrozen(given)).toBe(false);
    expect(registry.get('missing')).toBeUndefined();
  });

  it('an invalid definition throws INVALID_DEFINITION listing each problem with its path', () => {
    const error = failure(() =>
      createDefinitionRegistry([makeActionDefinition({ id: 'ok' }), makeActionDefinition({ id: 'bad', version: 'v1', inputSchema: { n: 'int' } })]),
    );
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'INVALID_DEFINITION', context: { problems: '1' } });
    expect(error.message).toBe('Invalid action definitions:\ndefinitions[1] ("bad"): $.version: Invalid string: must match pattern /^\\d+\\.\\d+\\.\\d+$/; received string "v1"');
    const schema = failure(() => createDefinitionRegistry([makeActionDefinition({ id: 'bad2', inputSchema: { n: 'int' } })]));
    expect(schema.message).toContain('definitions[0] ("bad2"): $.inputSchema.n: "int" is not a known type');
  });

  it('a repeated id throws DUPLICATE_DEFINITION', () => {
    const error = failure(() => createDefinitionRegistry([makeActionDefinition({ id: 'same' }), makeActionDefinition({ id: 'same' })]));
    expect(error.detail).toMatchObject({ code: 'DUPLICATE_DEFINITION', context: { actionDefinitionId: 'same', index: '1' } });
  });
});

describe('createInMemoryCatalog', () => {
  it('parses entries through ApiCatalogEntrySchema so quirk defaults apply', async () => {
    const given = makeCatalogEntry();
    const catalog = createInMemoryCatalog([given, makeCatalogEntry({ apiId: 'slack', baseUrl: 'https://slack.com/api' })]);
    expect(await catalog.getAllApis()).toEqual(['orders-api', 'slack']);
    const entry = await catalog.getApiEntry('orders-api');
    expect(entry?.quirks).toEqual({
      successWithErrorBody: false,
      emptyResponseOn204: true,
      binaryErrorResponses: false,
      requiresUserAgent: 'action-executor-tests/1.0',
      maxResponseSize: 5_000_000,
    });
    expect(Object.isFrozen(entry)).toBe(true);
    expect(given.quirks).not.toHaveProperty('successWithErrorBody');
    expect(await catalog.getApiEntry('unknown')).toBeNull();
  });

  it('an invalid entry throws INVALID_CATALOG_ENTRY naming the entry, path and value', () => {
    const error = failure(() => createInMemoryCatalog([makeCatalogEntry({ baseUrl: 'not a url' })]));
    expect(error.detail.code).toBe('INVALID_CATALOG_ENTRY');
    expect(error.message).toBe('Invalid API catalog entries:\nentries[0] ("orders-api"): $.baseUrl: Invalid URL; received string "not a url"');
  });

  it('a repeated apiId throws DUPLICATE_API', () => {
    const error = failure(() => createInMemoryCatalog([makeCatalogEntry(), makeCatalogEntry()]));
    expect(error.detail).toMatchObject({ code: 'DUPLICATE_API', context: { apiId: 'orders-api', index: '1' } });
  });
});

describe('loadCatalogFromDir', () => {
  it('loads the good entries and reports a bad one with file, JSON path and expectation', async () => {
    write('orders.json', makeCatalogEntry());
    const bad = write('slack.json', makeCatalogEntry({ apiId: 'slack', errorMappings: [{ status: 200, category: 'server_down' as never, retryable: true }] }));
    const { catalog, problems } = loadCatalogFromDir(dir);
    expect(await catalog.getAllApis()).toEqual(['orders-api']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: bad, path: '$.errorMappings[0].category' });
    expect(problems[0]?.message).toMatch(/^Invalid option: expected one of "auth_expired"\|.*; received string "server_down"$/);
  });

  it('loaded entries have quirk defaults applied', async () => {
    write('orders.json', makeCatalogEntry({ quirks: {} }));
    const entry = await loadCatalogFromDir(dir).catalog.getApiEntry('orders-api');
    expect(entry?.quirks).toEqual({ successWithErrorBody: false, emptyResponseOn204: true, binaryErrorResponses: false });
  });

  it('broken regular expressions in error mappings and rate-limit body patterns are reported by path', () => {
    const entry = makeCatalogEntry({
      errorMappings: [{ status: 409, header: { name: 'X-Error', pattern: '[lock' }, category: 'api_unexpected_status', retryable: true }],
    });
    entry.rateLimiting!.detection.bodyPatterns = ['rate limit', '(?<name'];
    write('orders.json', entry);
    expect(loadCatalogFromDir(dir).problems.map((p) => p.path)).toEqual(['$.errorMappings[0].header.pattern', '$.rateLimiting.detection.bodyPatterns[1]']);
  });

  it('a misspelled quirk is reported with the intended name', () => {
    write('orders.json', makeCatalogEntry({ quirks: { successWithErrorbody: true } as never }));
    expect(loadCatalogFromDir(dir).problems.map(formatProblem)).toEqual([
      `${join(dir, 'orders.json')}: $.quirks.successWithErrorbody: unknown field "successWithErrorbody" is not part of an API catalog entry; did you mean "successWithErrorBody"?`,
    ]);
  });

  it('a duplicate apiId keeps the first file and names both; invalid JSON gives line and column', async () => {
    const first = write('a.json', makeCatalogEntry({ name: 'First' }));
    const second = write('b.json', makeCatalogEntry({ name: 'Second' }));
    const broken = write('c.json', '{\n  "apiId": "x"\n  "name": "y"\n}');
    const { catalog, problems } = loadCatalogFromDir(dir);
    expect((await catalog.getApiEntry('orders-api'))?.name).toBe('First');
    // Problems come in file order, whichever check found them.
    expect(problems.map(formatProblem)).toEqual([
      `${second}: $.apiId: duplicate apiId "orders-api": already defined in ${first}; this file is ignored`,
      `${broken}: $: invalid JSON at line 3, column 3: expected ',' or '}', found "\\""`,
    ]);
  });

  it('a directory that does not exist is one problem and an empty catalog', async () => {
    const { catalog, problems } = loadCatalogFromDir(join(dir, 'missing'));
    expect(await catalog.getAllApis()).toEqual([]);
    expect(problems[0]?.message).toMatch(/^cannot read the directory \(ENOENT/);
  });
});

describe('load problems', () => {
  it.each([
    [['retryPolicy', 'maxAttempts'], '$.retryPolicy.maxAttempts'],
    [['errorMappings', 0, 'header', 'pattern'], '$.errorMappings[0].header.pattern'],
    [['endpoint', 'headers', 'Idempotency-Key'], '$.endpoint.headers["Idempotency-Key"]'],
    [['outputSchema', 'data.user.id'], '$.outputSchema["data.user.id"]'],
    [[], '$'],
  ])('jsonPathOf(%j) is %s', (segments, path) => {
    expect(jsonPathOf(segments)).toBe(path);
  });

  it('formatProblem gives one line: file: path: message', () => {
    expect(formatProblem({ file: 'defs/a.json', path: '$.id', message: 'required field is missing (expected string)' })).toBe(
      'defs/a.json: $.id: required field is missing (expected string)',
    );
  });
});
