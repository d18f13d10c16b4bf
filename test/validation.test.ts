import { describe, expect, it } from 'vitest';
import { toOutputRecord } from '../src/http/body/response-output.ts';
import { ACCEPTED_SCHEMA_STRINGS, parseFieldType } from '../src/validation/schema-language.ts';
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import { findSimilarNames } from '../src/support/similar-names.ts';
import { compileDefinitionSchemas, validateInputs, validateOutput } from '../src/validation/validation.ts';
import { makeActionDefinition } from './fixtures.ts';
import { thrownActionError } from './support/thrown.ts';

/** A definition with only the schemas under test; a fresh id keeps cache entries apart. */
function defWith(
  inputSchema: Record<string, string>,
  outputSchema: Record<string, string> = {},
  extra: Partial<ActionDefinition> = {},
): ActionDefinition {
  return makeActionDefinition({ id: 'get_user', version: '1.0.0', inputSchema, outputSchema, ...extra });
}

const failure = thrownActionError;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('schema mini-language: parseFieldType', () => {
  it.each([
    ['string', { type: 'string' }],
    ['number', { type: 'number' }],
    ['integer', { type: 'integer' }],
    ['boolean', { type: 'boolean' }],
    ['object', { type: 'object' }],
    ['array', { type: 'array' }],
    ['null', { type: 'null' }],
    ['any', {}],
  ])('type %s compiles to JSON Schema %j and is required', (source, jsonSchema) => {
    const parsed = parseFieldType(source);
    expect(parsed).toMatchObject({ ok: true, type: { jsonSchema, optional: false, kind: 'type', expected: source } });
  });

  it.each(['email', 'uri', 'uuid', 'date-time', 'date'])('string:%s compiles to a string with that format', (format) => {
    expect(parseFieldType(`string:${format}`)).toMatchObject({ ok: true, type: { jsonSchema: { type: 'string', format } } });
  });

  it('array:<type> describes its items, also nested and with formats', () => {
    expect(parseFieldType('array:integer')).toMatchObject({ ok: true, type: { jsonSchema: { type: 'array', items: { type: 'integer' } } } });
    expect(parseFieldType('array:string:email')).toMatchObject({
      ok: true,
      type: { jsonSchema: { type: 'array', items: { type: 'string', format: 'email' } } },
    });
    expect(parseFieldType('array:array:any')).toMatchObject({ ok: true, type: { jsonSchema: { type: 'array', items: { type: 'array', items: {} } } } });
  });

  it('a trailing ? marks the field optional; surrounding whitespace is ignored', () => {
    expect(parseFieldType(' integer? ')).toMatchObject({ ok: true, type: { optional: true, expected: 'integer', jsonSchema: { type: 'integer' } } });
    expect(parseFieldType('array:string:uuid?')).toMatchObject({ ok: true, type: { optional: true, expected: 'array:string:uuid' } });
  });

  it('a JSON Schema fragment is used as written, optionally with a trailing ?', () => {
    const required = parseFieldType('{"type":"integer","minimum":1}');
    expect(required).toMatchObject({ ok: true, type: { kind: 'fragment', optional: false, jsonSchema: { type: 'integer', minimum: 1 } } });
    expect(parseFieldType('{"type":"string"}?')).toMatchObject({ ok: true, type: { kind: 'fragment', optional: true } });
  });

  it.each([
    ['integer', 'integer'],
    ['number?', 'number'],
    ['boolean', 'boolean'],
    ['string', undefined],
    ['array:integer', undefined],
    ['{"type":"integer"}', 'integer'],
    ['{"type":["boolean","null"]}', 'boolean'],
    ['{"type":["string","integer"]}', undefined],
  ])('%s coerces reference strings to %s', (source, coerceTo) => {
    const parsed = parseFieldType(source);
    expect(parsed.ok && parsed.type.coerceTo).toBe(coerceTo ?? undefined);
  });

  it.each([
    ['', 'the schema string is empty'],
    ['?', '"?" needs a type before it'],
    ['string??', 'more than one trailing "?"'],
    ['strng', '"strng" is not a known type; did you mean "string"?'],
    ['Integer', '"Integer" is not a known type; did you mean "integer"?'],
    ['text', '"text" is not a known type'],
    ['string:phone', '"phone" is not a supported string format'],
    ['string:datetime', 'did you mean "date-time"?'],
    ['integer:positive', '"integer" takes no ":<…>" suffix; only string:<format> and array:<type> do'],
    ['array:', 'array:<type> needs an item type'],
    ['array:strng', 'in array item type: "strng" is not a known type'],
    [':string', 'has no type before ":"'],
    ['{"type": "string",}', 'the JSON Schema fragment is not valid JSON at column 19: expected a property name in double quotes'],
  ])('rejects %j: %s', (source, reason) => {
    const parsed = parseFieldType(source);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });
});

describe('compileDefinitionSchemas', () => {
  it('compiles once per definition object: the same compiled object comes back', () => {
    const def = defWith({ userId: 'string' }, { name: 'string' }, { id: 'cache_identity' });
    const first = compileDefinitionSchemas(def);
    expect(compileDefinitionSchemas(def)).toBe(first);
    expect(first.key).toBe('cache_identity@1.0.0');
    expect(first.input.map((f) => f.name)).toEqual(['userId']);
  });

  it('an equal copy with the same id@version reuses the compiled schemas', () => {
    const def = defWith({ userId: 'string' }, {}, { id: 'cache_by_key' });
    const first = compileDefinitionSchemas(def);
    expect(compileDefinitionSchemas(structuredClone(def))).toBe(first);
  });

  it('the same id@version with edited schemas is recompiled, never served stale', () => {
    const def = defWith({ limit: 'integer' }, {}, { id: 'cache_stale' });
    const first = compileDefinitionSchemas(def);
    const edited = { ...def, inputSchema: { limit: 'string' } };
    const second = compileDefinitionSchemas(edited);
    expect(second).not.toBe(first);
    expect(validateInputs(edited, { limit: 'ten' })).toEqual({ limit: 'ten' });
    expect(failure(() => validateInputs(def, { limit: 'ten' })).detail.code).toBe('INPUT_INVALID');
  });

  it('a bad schema string is rejected naming the definition, side, field, value and what is accepted', () => {
    const error = failure(() => compileDefinitionSchemas(defWith({ userId: 'strng' }, {}, { id: 'bad_type' })));
    expect(error.detail).toMatchObject({
      category: 'validation_failed',
      code: 'INVALID_SCHEMA',
      retryable: false,
      context: { actionDefinitionId: 'bad_type', definitionVersion: '1.0.0', side: 'inputSchema', field: 'userId', value: 'strng' },
    });
    expect(error.message).toBe(
      `Definition of action "bad_type" v1.0.0 has an invalid schema string: inputSchema field "userId" is "strng": ` +
        `"strng" is not a known type; did you mean "string"? ${ACCEPTED_SCHEMA_STRINGS}`,
    );
  });

  it('lists every bad schema string of both sides in one error', () => {
    const def = defWith({ a: 'strng', b: 'integer' }, { 'data.x': 'string:phone', ok: 'string' }, { id: 'bad_many' });
    const error = failure(() => compileDefinitionSchemas(def));
    expect(error.detail.context['fields']).toBe('inputSchema.a, outputSchema.data.x');
    expect(error.message).toContain('2 invalid schema strings');
  });

  it('a JSON Schema fragment with an unknown keyword or format is rejected (ajv strict mode)', () => {
    const keyword = failure(() => compileDefinitionSchemas(defWith({ n: '{"type":"integer","minimun":1}' }, {}, { id: 'bad_kw' })));
    expect(keyword.message).toContain('the JSON Schema fragment is not valid: strict mode: unknown keyword: "minimun"');
    const format = failure(() => compileDefinitionSchemas(defWith({ p: '{"type":"string","format":"phone"}' }, {}, { id: 'bad_fmt' })));
    expect(format.message).toContain('unknown format "phone"');
  });

  it('a dotted output field below a field that cannot be an object is rejected', () => {
    const error = failure(() => compileDefinitionSchemas(defWith({}, { data: 'string', 'data.id': 'integer' }, { id: 'bad_parent' })));
    expect(error.message).toContain('outputSchema field "data.id" is "integer": it needs "data" to be an object, but "data" is declared as "string"');
    for (const parent of ['object', 'any?', '{"type":"object"}']) {
      expect(() => compileDefinitionSchemas(defWith({}, { data: parent, 'data.id': 'integer' }, { id: 'ok_parent' }))).not.toThrow();
    }
  });

  it('an output path with an empty segment is rejected', () => {
    const error = failure(() => compileDefinitionSchemas(defWith({}, { 'data..id': 'string' }, { id: 'bad_path' })));
    expect(error.message).toContain('"data..id" is not a usable field name');
  });

  it('fragments with the same $id in two definitions do not clash', () => {
    const fragment = '{"$id":"https://example.com/user.json","type":"object"}';
    expect(() => compileDefinitionSchemas(defWith({ user: fragment }, {}, { id: 'id_one' }))).not.toThrow();
    expect(() => compileDefinitionSchemas(defWith({ user: fragment }, {}, { id: 'id_two' }))).not.toThrow();
  });
});

describe('EXEC-001: input validation', () => {
  const def = defWith({ userId: 'string', limit: 'integer', ratio: 'number?', verbose: 'boolean?', note: 'string?' });

  it('EXEC-001: valid inputs come back as a coerced copy and the frozen input is untouched', () => {
    const inputs = deepFreeze({ userId: 'usr_1', limit: '20', ratio: '0.5', verbose: 'false' });
    const result = validateInputs(def, inputs);
    expect(result).toEqual({ userId: 'usr_1', limit: 20, ratio: 0.5, verbose: false });
    expect(result).not.toBe(inputs);
    expect(inputs.limit).toBe('20');
  });

  it.each([
    ['integer', '42', 42],
    ['integer', '-7', -7],
    ['integer', '1e3', 1000],
    ['integer', '2.0', 2],
    ['number', '1.5', 1.5],
    ['number', '-0.25', -0.25],
    ['number', '2E-3', 0.002],
    ['boolean', 'true', true],
    ['boolean', 'false', false],
    ['{"type":"integer","minimum":1}', '5', 5],
  ])('EXEC-001: a %s field coerces the reference string %j', (type, text, expected) => {
    expect(validateInputs(defWith({ value: type }), { value: text })).toEqual({ value: expected });
  });

  it.each([
    ['integer', '4.5'],
    ['integer', 'ten'],
    ['integer', ''],
    ['integer', ' 42'],
    ['integer', '0x1A'],
    ['integer', '1,000'],
    ['number', 'Infinity'],
    ['number', 'NaN'],
    ['number', '1e400'],
    ['number', '+5'],
    ['boolean', 'yes'],
    ['boolean', 'TRUE'],
    ['boolean', '1'],
  ])('EXEC-001: a %s field rejects the string %j, naming field, type and value', (type, text) => {
    const error = failure(() => validateInputs(defWith({ value: type }), { value: text }));
    expect(error.detail.code).toBe('INPUT_INVALID');
    expect(error.message).toBe(`Inputs of action "get_user" v1.0.0 are invalid: \`value\` expected ${type}, received string ${JSON.stringify(text)}.`);
    expect(error.detail.context).toMatchObject({ fields: 'value', mistyped: 'value' });
  });

  it('EXEC-001: non-string values are not coerced to strings', () => {
    const error = failure(() => validateInputs(defWith({ zip: 'string' }), { zip: 12345 }));
    expect(error.message).toContain('`zip` expected string, received number 12345');
  });

  it('EXEC-001: a missing required input is named; missing or null optional inputs pass', () => {
    const error = failure(() => validateInputs(def, { limit: 5 }));
    expect(error.message).toBe('Inputs of action "get_user" v1.0.0 are invalid: `userId` is required but was not provided.');
    expect(error.detail.context['missing']).toBe('userId');
    expect(error.detail.suggestion).toContain('Provide the missing inputs');
    expect(validateInputs(def, { userId: 'u', limit: 1, note: null })).toEqual({ userId: 'u', limit: 1, note: null });
  });

  it('EXEC-001: inputs the schema does not declare are allowed and passed through unchanged', () => {
    const extra = { nested: { a: 1 } };
    const result = validateInputs(def, { userId: 'u', limit: '3', expand: 'orders', extra });
    expect(result).toEqual({ userId: 'u', limit: 3, expand: 'orders', extra });
    expect(result['extra']).toBe(extra);
  });

  it('EXEC-001: every failing input is listed in one error', () => {
    const error = failure(() => validateInputs(def, { limit: 'many', verbose: 'maybe' }));
    expect(error.message).toBe(
      'Inputs of action "get_user" v1.0.0 are invalid (3 problems): 1) `userId` is required but was not provided. ' +
        '2) `limit` expected integer, received string "many". 3) `verbose` expected boolean, received string "maybe".',
    );
    expect(error.detail.context).toMatchObject({ fields: 'userId, limit, verbose', missing: 'userId', mistyped: 'limit, verbose' });
  });

  it.each([
    ['email', 'ada@example.com', 'ada(at)example.com'],
    ['uri', 'https://api.example.com/v1?q=1', 'not a uri'],
    ['uuid', '3b241101-e2bb-4255-8caf-4136c566a962', '3b241101-e2bb'],
    ['date-time', '2025-03-14T09:26:53Z', '2025-03-14'],
    ['date', '2025-03-14', '2025-02-30'],
  ])('EXEC-001: string:%s accepts %j and rejects %j', (format, good, bad) => {
    const formatted = defWith({ value: `string:${format}` });
    expect(validateInputs(formatted, { value: good })).toEqual({ value: good });
    const error = failure(() => validateInputs(formatted, { value: bad }));
    expect(error.message).toContain(`\`value\` expected string:${format}, received string ${JSON.stringify(bad)}`);
  });

  it('EXEC-001: array:<type> checks each item and names the bad one by index', () => {
    const arrays = defWith({ ids: 'array:integer' });
    expect(validateInputs(arrays, { ids: [1, 2, 3] })).toEqual({ ids: [1, 2, 3] });
    const error = failure(() => validateInputs(arrays, { ids: [1, 'two', 3] }));
    expect(error.message).toContain('`ids[1]` expected integer, received string "two"');
    expect(failure(() => validateInputs(arrays, { ids: '1,2,3' })).message).toContain('`ids` expected array:integer, received string "1,2,3"');
  });

  it('EXEC-001: object, null and any types', () => {
    const typed = defWith({ filter: 'object', cursor: 'null', payload: 'any' });
    expect(validateInputs(typed, { filter: { a: 1 }, cursor: null, payload: [1] })).toEqual({ filter: { a: 1 }, cursor: null, payload: [1] });
    const error = failure(() => validateInputs(typed, { filter: ['a'], cursor: 'x' }));
    expect(error.message).toContain('`filter` expected object, received array of 1 item');
    expect(error.message).toContain('`cursor` expected null, received string "x"');
    expect(error.message).toContain('`payload` is required but was not provided');
  });

  it('EXEC-001: JSON Schema fragment constraints are reported with the received value', () => {
    const fragments = defWith({ limit: '{"type":"integer","minimum":1}', mode: '{"enum":["fast","safe"]}' });
    const error = failure(() => validateInputs(fragments, { limit: '0', mode: 'slow' }));
    expect(error.message).toContain('`limit` must be >= 1, received number 0');
    expect(error.message).toContain('`mode` must be one of ["fast","safe"], received string "slow"');
  });

  it('EXEC-001: values of secret-looking fields and known secrets are never echoed; long values are cut', () => {
    const secretive = defWith({ apiToken: 'integer', comment: 'integer', body: 'integer' });
    const error = failure(() =>
      validateInputs(secretive, { apiToken: 'sk_live_abcdef', comment: 'key is sk_live_abcdef', body: 'x'.repeat(500) }, {
        redact: (text) => text.replaceAll('sk_live_abcdef', '[REDACTED]'),
      }),
    );
    expect(error.message).not.toContain('sk_live_abcdef');
    expect(error.message).toContain('`apiToken` expected integer, received string [REDACTED]');
    expect(error.message).toContain('`comment` expected integer, received string "key is [REDACTED]"');
    expect(error.message).toContain(`"${'x'.repeat(60)}"… (500 chars)`);
  });
});

describe('EXEC-010: output validation', () => {
  const def = defWith({}, { id: 'string', 'data.user.email': 'string:email', 'data.user.age': 'integer?', tags: 'array:string?' });

  it('EXEC-010: a matching response passes, with extra fields allowed', () => {
    expect(() => validateOutput(def, { id: 'u1', data: { user: { email: 'a@b.io', age: 3, extra: true } }, more: 1 })).not.toThrow();
  });

  it('EXEC-010: dotted paths navigate nested objects and name the full path', () => {
    const error = failure(() => validateOutput(def, { id: 'u1', data: { user: { email: 'nope', age: 'old' } } }));
    expect(error.detail.code).toBe('OUTPUT_INVALID');
    expect(error.message).toBe(
      'Response of action "get_user" v1.0.0 does not match its outputSchema (2 problems): ' +
        '1) `data.user.email` expected string:email, received string "nope". 2) `data.user.age` expected integer or null, received string "old".',
    );
    expect(error.detail.context).toMatchObject({ fields: 'data.user.email, data.user.age', mistyped: 'data.user.email, data.user.age' });
  });

  it('EXEC-010: optional fields may be absent or null', () => {
    expect(() => validateOutput(def, { id: 'u1', data: { user: { email: 'a@b.io', age: null } }, tags: null })).not.toThrow();
  });

  it('EXEC-010: a missing object is reported once for every field below it', () => {
    const error = failure(() => validateOutput(def, { id: 'u1' }));
    expect(error.message).toBe(
      'Response of action "get_user" v1.0.0 does not match its outputSchema: `data` is missing (needed for `data.user.email`).',
    );
    const two = defWith({}, { 'meta.page': 'integer', 'meta.total': 'integer' });
    const grouped = failure(() => validateOutput(two, {}));
    expect(grouped.message).toContain('`meta` is missing (needed for `meta.page`, `meta.total`)');
    expect(grouped.detail.context['missing']).toBe('meta.page, meta.total');
  });

  it.each([
    ['a string', { data: 'text' }, '`data.user.email` cannot be read: `data` is a string, not an object'],
    ['an array', { data: [] }, '`data` is an array, not an object (dotted paths do not index arrays)'],
    ['null', { data: { user: null } }, '`data.user.email` cannot be read: `data.user` is null'],
  ])('EXEC-010: an intermediate value that is %s is named', (_, body, expected) => {
    expect(failure(() => validateOutput(def, { id: 'u1', ...body })).message).toContain(expected);
  });

  it('EXEC-010: a null intermediate is fine when the field below it is optional', () => {
    const optional = defWith({}, { 'data.user.age': 'integer?' });
    expect(() => validateOutput(optional, { data: null })).not.toThrow();
    expect(() => validateOutput(optional, { data: { user: null } })).not.toThrow();
  });

  it('EXEC-010: a non-object body is checked as { body }, and says so when it fails', () => {
    const list = defWith({}, { body: 'array:object' });
    expect(() => validateOutput(list, [{ id: 1 }])).not.toThrow();
    expect(failure(() => validateOutput(list, [1])).message).toContain('`body[0]` expected object, received number 1');
    const error = failure(() => validateOutput(def, ['x']));
    expect(error.message).toContain('(the response body is an array, not a JSON object, so it is checked as { "body": … })');
  });

  it('EXEC-010: an empty body fails required fields and says the body was empty; with no schema it passes', () => {
    const error = failure(() => validateOutput(def, undefined));
    expect(error.message).toContain('does not match its outputSchema (the response body was empty) (2 problems)');
    expect(() => validateOutput(defWith({}, {}), undefined)).not.toThrow();
    expect(() => validateOutput(defWith({}, { note: 'string?' }), undefined)).not.toThrow();
  });

  it('EXEC-010: a huge array of bad items costs one reported error per field, not one per item', () => {
    const list = defWith({}, { ids: 'array:integer' });
    const ids = Array.from({ length: 200_000 }, (_, i) => `id-${i}`);
    const error = failure(() => validateOutput(list, { ids }));
    expect(error.message).toBe('Response of action "get_user" v1.0.0 does not match its outputSchema: `ids[0]` expected integer, received string "id-0".');
  });

  it('EXEC-010: field names such as constructor or toString never resolve to Object.prototype', () => {
    const error = failure(() => validateOutput(defWith({}, { constructor: 'string', 'toString.name': 'string' }), {}));
    expect(error.message).toContain('`constructor` is missing');
    expect(error.message).toContain('`toString` is missing (needed for `toString.name`)');
    expect(failure(() => validateInputs(defWith({ valueOf: 'string' }), {})).message).toContain('`valueOf` is required but was not provided');
  });

  it('EXEC-010: values of secret-looking response fields are not echoed', () => {
    const tokens = defWith({}, { accessToken: 'integer' });
    const error = failure(() => validateOutput(tokens, { accessToken: 'eyJhbGciOi.secret' }));
    expect(error.message).toContain('`accessToken` expected integer, received string [REDACTED]');
    expect(error.message).not.toContain('eyJ');
  });
});

describe('edge case 5: a field renamed by the API without notice', () => {
  const def = defWith({}, { user_name: 'string', email: 'string' });

  it('edge case 5: suggests the renamed field exactly', () => {
    const error = failure(() => validateOutput(def, { userName: 'ada', email: 'a@b.io' }));
    expect(error.message).toBe(
      'Response of action "get_user" v1.0.0 does not match its outputSchema: `user_name` is missing; the response has `userName` — did the API rename it?',
    );
    expect(error.detail.context).toMatchObject({ missing: 'user_name', possibleRenames: 'user_name → userName' });
    expect(error.detail.suggestion).toBe(
      'The API may have renamed fields (user_name → userName). If it did, update outputSchema of definition "get_user" and bump its version; otherwise check the API\'s changelog.',
    );
  });

  it.each([
    ['camelCase → snake_case', 'userId', 'user_id'],
    ['case only', 'email', 'Email'],
    ['kebab-case', 'createdAt', 'created-at'],
    ['upper snake', 'orderId', 'ORDER_ID'],
    ['a typo', 'address', 'adress'],
    ['transposed letters', 'status', 'stauts'],
  ])('edge case 5: %s (%s → %s) is suggested', (_, declared, sent) => {
    const error = failure(() => validateOutput(defWith({}, { [declared]: 'string' }), { [sent]: 'x' }));
    expect(error.message).toContain(`\`${declared}\` is missing; the response has \`${sent}\` — did the API rename it?`);
  });

  it('edge case 5: renames are found at nested levels and for missing objects', () => {
    const nested = defWith({}, { 'data.user.id': 'string', 'data.user.name': 'string' });
    const inner = failure(() => validateOutput(nested, { data: { user: { ID: 'u1', name: 'Ada' } } }));
    expect(inner.message).toContain('`data.user.id` is missing; the response has `data.user.ID` — did the API rename it?');
    const outer = failure(() => validateOutput(nested, { Data: { user: { id: 'u1', name: 'Ada' } } }));
    expect(outer.message).toContain(
      '`data` is missing (needed for `data.user.id`, `data.user.name`); the response has `Data` — did the API rename it?',
    );
  });

  it('edge case 5: every similar name is listed when several tie', () => {
    const error = failure(() => validateOutput(defWith({}, { user_name: 'string' }), { userName: 'a', UserName: 'b', other: 1 }));
    expect(error.message).toContain('the response has `userName` or `UserName` — did the API rename it?');
  });

  it('edge case 5: no suggestion for unrelated or very short names, nor for fields the schema declares itself', () => {
    const unrelated = failure(() => validateOutput(defWith({}, { user_name: 'string' }), { total: 1 }));
    expect(unrelated.message).toMatch(/`user_name` is missing\.$/);
    expect(unrelated.detail.context['possibleRenames']).toBeUndefined();
    const short = failure(() => validateOutput(defWith({}, { id: 'string' }), { ip: '127.0.0.1' }));
    expect(short.message).not.toContain('did the API rename it');
    const declared = failure(() => validateOutput(defWith({}, { line1: 'string', line2: 'string' }), { line1: 'a' }));
    expect(declared.message).toMatch(/`line2` is missing\.$/);
  });

  it('edge case 5: a rename and a type change are reported together in one error', () => {
    const error = failure(() => validateOutput(def, { userName: 'ada', email: 42 }));
    expect(error.message).toContain('(2 problems)');
    expect(error.message).toContain('1) `user_name` is missing; the response has `userName` — did the API rename it? 2) `email` expected string, received number 42.');
    expect(error.detail.context).toMatchObject({ fields: 'user_name, email', missing: 'user_name', mistyped: 'email' });
  });
});

describe('findSimilarNames', () => {
  it('prefers names equal after normalisation over edit-distance matches', () => {
    expect(findSimilarNames('user_name', ['usernam', 'userName'])).toEqual(['userName']);
    expect(findSimilarNames('user_name', ['usernames'])).toEqual(['usernames']);
    expect(findSimilarNames('name', ['title', 'nickname'])).toEqual([]);
  });
});

describe('response → output record (toOutputRecord)', () => {
  it('a JSON object gives one field per top-level field: strings as-is, other values as JSON text', () => {
    expect(toOutputRecord({ id: 'u1', age: 36, active: true, none: null, profile: { city: 'London' }, tags: ['a'] })).toEqual({
      id: 'u1',
      age: '36',
      active: 'true',
      none: 'null',
      profile: '{"city":"London"}',
      tags: '["a"]',
    });
  });

  it.each([
    [[1, 2], '[1,2]'],
    ['plain', '"plain"'],
    [42, '42'],
    [null, 'null'],
  ])('a non-object JSON body %j becomes { body: %s }', (body, text) => {
    expect(toOutputRecord(body)).toEqual({ body: text });
  });

  it('no body gives an empty record', () => {
    expect(toOutputRecord(undefined)).toEqual({});
  });

  it('a "__proto__" field stays an ordinary own field and does not change the prototype', () => {
    const record = toOutputRecord(JSON.parse('{"__proto__":{"polluted":true},"a":"b"}'));
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.hasOwn(record, '__proto__')).toBe(true);
    expect(record['__proto__' as 'a']).toBe('{"polluted":true}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
