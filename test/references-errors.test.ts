/**
 * Every way reference resolution can fail: each is a distinct, schema-valid ActionError whose
 * message says what was attempted, what was found and what to do, and never prints a secret.
 * Also: credentials (allowed only in auth fields and headers), env (never) and conditions.
 */
import { describe, it, expect } from 'vitest';
import { REFERENCE_ERROR_CODES } from '../src/references/reference-errors.ts';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import {
  credentialNamesIn,
  resolveCondition,
  resolveCredentialTemplate,
  resolveInputs,
  resolveValue,
  type ReferenceContext,
} from '../src/references/references.ts';
import { makeReferenceContext } from './fixtures.ts';
import { contextWith, thrownActionError } from './support/thrown.ts';

/** The schema-valid detail of the ActionError `fn` throws. */
const failure = (fn: () => unknown): ErrorDetail => thrownActionError(fn).detail;

const ctxWith = contextWith;

const ctx = makeReferenceContext();
const SECRET = ctx.credentials['ORDERS_API_KEY']!;
const fail = (value: string, context: ReferenceContext = ctx): ErrorDetail => failure(() => resolveInputs({ owner: value }, context));

describe('unknown action', () => {
  it('names the action, lists the ones that have results and suggests the closest', () => {
    const detail = fail('${get_users.output.id}', { ...ctx, previousResults: { ...ctx.previousResults, list_orders: '{}' } });
    expect(detail).toMatchObject({ category: 'validation_failed', code: 'REFERENCE_UNKNOWN_ACTION', retryable: false });
    expect(detail.message).toBe(
      'Input "owner" refers to ${get_users.output.id}, but previousResults has no result for action "get_users" (results exist for: get_user, list_orders).',
    );
    expect(detail.suggestion).toMatch(/^Did you mean "get_user"\? .*dependencies/);
    expect(detail.context).toEqual({ input: 'owner', reference: '${get_users.output.id}', actionId: 'get_users', availableActions: 'get_user, list_orders' });
  });

  it('says so plainly when no action has produced a result yet', () => {
    expect(fail('${a.output.x}', { previousResults: {}, credentials: {} }).message).toContain('(no action results are available yet)');
  });
});

describe('missing path', () => {
  it('says where navigation stopped, which keys exist there, and suggests a rename', () => {
    const detail = fail('${get_user.output.profile.address.postcode}', ctxWith({ get_user: { profile: JSON.stringify({ address: { city: 'London', post_code: 'W1' } }) } }));
    expect(detail.code).toBe('REFERENCE_PATH_NOT_FOUND');
    expect(detail.message).toBe(
      'Input "owner" refers to ${get_user.output.profile.address.postcode}, but get_user.output.profile.address has no key "postcode" (keys there: city, post_code).',
    );
    expect(detail.suggestion).toBe('Did you mean "post_code"? The API may have renamed "postcode".');
    expect(detail.context).toMatchObject({ stoppedAt: 'get_user.output.profile.address', missingKey: 'postcode', availableKeys: 'city, post_code' });
  });

  it('reports a missing top-level field against the output record', () => {
    expect(fail('${get_user.output.phone}').context['stoppedAt']).toBe('get_user.output');
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('does not find the inherited property %s', (key) => {
    expect(fail(`\${get_user.output["${key}"]}`).code).toBe('REFERENCE_PATH_NOT_FOUND');
  });

  it('lists at most 20 keys and says how many more there are', () => {
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, 'x']));
    expect(fail('${w.output.nope}', ctxWith({ w: wide })).message).toContain('field19, … (10 more)');
  });
});

describe('index out of range and type mismatch', () => {
  it('says how many items there are', () => {
    const detail = fail('${get_user.output.users[5].name}');
    expect(detail.code).toBe('REFERENCE_INDEX_OUT_OF_RANGE');
    expect(detail.message).toBe('Input "owner" refers to ${get_user.output.users[5].name}, but get_user.output.users has 2 items (valid indexes 0–1), so index 5 is out of range.');
    expect(detail.context).toMatchObject({ index: '5', length: '2', stoppedAt: 'get_user.output.users' });
  });

  it('says when the array is empty', () => {
    expect(fail('${s.output.hits[0]}', ctxWith({ s: { hits: '[]' } })).message).toContain('s.output.hits is an empty array, so index 0 is out of range');
  });

  it.each<[string, string]>([
    ['${get_user.output.email.domain}', 'get_user.output.email is a string ("ada@example.com"), not an object, so it has no key "domain"'],
    ['${get_user.output.profile[0]}', 'get_user.output.profile is an object ({"name":"Ada Lovelace","address":{"city":"London","zip":"W1"}}), not an array, so it has no index [0]'],
    ['${get_user.output.users.first}', 'get_user.output.users is an array ([{"name":"Ada","roles":["admin","billing"]},{"name":"Grace","roles":["viewer"]}]), not an object, so it has no key "first"'],
  ])('%s explains what was there instead', (ref, text) => {
    const detail = fail(ref);
    expect(detail.code).toBe('REFERENCE_TYPE_MISMATCH');
    expect(detail.message).toContain(text);
  });

  it('truncates long values it quotes', () => {
    const detail = fail('${a.output.blob.x}', ctxWith({ a: { blob: 'y'.repeat(5_000) } }));
    expect(detail.message.length).toBeLessThan(400);
    expect(detail.message).toContain('… (5002 chars)');
  });

  it('never quotes the value of a secret-looking field', () => {
    const detail = fail('${a.output.access_token.x}', ctxWith({ a: { access_token: 'eyJhbGciOiJIUzI1NiJ9.payload.sig' } }));
    expect(detail.message).toContain('a.output.access_token is a string ([REDACTED])');
    expect(JSON.stringify(detail)).not.toContain('eyJhbGci');
  });
});

describe('malformed JSON text', () => {
  it('in previousResults: names the action and gives the parse position, line and column', () => {
    const detail = fail('${a.output.id}', { previousResults: { a: '{"id": "x",\n "n": }' }, credentials: {} });
    expect(detail.code).toBe('REFERENCE_MALFORMED_JSON');
    expect(detail.message).toBe(
      'Input "owner" refers to ${a.output.id}, but previousResults["a"] is not valid JSON: expected a JSON value (object, array, string, number, true, false or null) at position 18 (line 2, column 7), found "}". The text starts: {"id": "x",\\n "n": }',
    );
    expect(detail.context).toMatchObject({ position: '18', line: '2', column: '7' });
    expect(detail.suggestion).toContain('previousResults values must be the JSON text');
  });

  it('in a field being navigated into: names the path', () => {
    const detail = fail('${a.output.data.id}', ctxWith({ a: { data: '{"id": 1 "x": 2}' } }));
    expect(detail.message).toBe(
      'Input "owner" refers to ${a.output.data.id}, but a.output.data is not valid JSON: expected \',\' or \'}\' at position 9 (line 1, column 10), found "\\"". The text starts: {"id": 1 "x": 2}',
    );
    expect(detail.context['stoppedAt']).toBe('a.output.data');
  });
});

describe('malformed reference syntax', () => {
  it.each<[string, number, string]>([
    ['${}', 3, 'an action id, "credentials" or "env"'],
    ['${a}', 4, '".output" after the action id "a"'],
    ['${a.out.x}', 5, '"output" after "a."'],
    ['${a.output.}', 12, 'a key name after "."'],
    ['${a.output[x]}', 12, 'an index like [0] or a quoted key'],
    ['${a.output[-1]}', 12, 'an index like [0] or a quoted key'],
    ['${a.output[0}', 13, '"]" after the index'],
    ['${a.output["x]}', 16, 'a closing \'"\' for the quoted key'],
    ['${a.output x}', 11, '".key", "[index]" or "}"'],
    ['id: ${a.output.x', 17, '"}" to close the reference'],
    ['${credentials.}', 15, 'a credential name'],
  ])('%s is REFERENCE_SYNTAX at character %i', (template, character, expected) => {
    const detail = fail(template);
    expect(detail.code).toBe('REFERENCE_SYNTAX');
    expect(detail.context['character']).toBe(String(character));
    expect(detail.message).toContain(`expected ${expected}`);
    expect(detail.suggestion).toContain('$${ for a literal');
  });

  it('quotes the malformed reference up to its closing brace', () => {
    expect(fail('Hello ${a.output.}!').message).toBe(
      'Input "owner" has a malformed reference ${a.output.}: expected a key name after "." (use ["key"] for names with other characters) at character 18, found "}".',
    );
  });
});

describe('credentials and environment', () => {
  it('${credentials.NAME} in an input is an error saying where credentials may be used', () => {
    const detail = fail('Bearer ${credentials.ORDERS_API_KEY}');
    expect(detail.code).toBe('CREDENTIALS_NOT_ALLOWED');
    expect(detail.message).toContain('credentials may only be used in authentication fields and headers');
    expect(detail.context).toMatchObject({ input: 'owner', reference: '${credentials.ORDERS_API_KEY}', credential: 'ORDERS_API_KEY' });
    expect(JSON.stringify(detail)).not.toContain(SECRET);
  });

  it('where allowed, a credential resolves whole or embedded', () => {
    expect(resolveValue('${credentials.ORDERS_API_KEY}', ctx, { allowCredentials: true })).toBe(SECRET);
    expect(resolveValue('Bearer ${credentials.ORDERS_API_KEY}', ctx, { allowCredentials: true, field: 'headers.Authorization' })).toBe(`Bearer ${SECRET}`);
  });

  it('a missing credential is auth_invalid naming it and the provided names, never a value', () => {
    const detail = failure(() => resolveValue('${credentials.ORDERS_API_KY}', ctx, { allowCredentials: true, field: 'headers.X-Api-Key' }));
    expect(detail).toMatchObject({ category: 'auth_invalid', code: 'CREDENTIAL_MISSING', retryable: false });
    expect(detail.message).toBe(
      'Field "headers.X-Api-Key" needs credential "ORDERS_API_KY" (${credentials.ORDERS_API_KY}), but context.credentials has no entry with that name (provided: ORDERS_API_KEY).',
    );
    expect(detail.suggestion).toContain('Did you mean "ORDERS_API_KEY"?');
    expect(JSON.stringify(detail)).not.toContain(SECRET);
  });

  it.each<[string, () => unknown]>([
    ['an input', () => resolveInputs({ home: '${env.HOME}' }, ctx)],
    ['a field where credentials are allowed', () => resolveValue('${env.HOME}', ctx, { allowCredentials: true })],
    ['a credential template', () => resolveCredentialTemplate('${env.HOME}', ctx.credentials, 'authentication.token')],
  ])('${env.X} is refused in %s', (_where, call) => {
    const detail = failure(call);
    expect(detail.code).toBe('ENV_NOT_ALLOWED');
    expect(detail.message).toContain('payloads can never read environment variables');
  });

  it('a previous result that contains a credential value is redacted wherever an error quotes it', () => {
    const leaky = ctxWith({ a: { echo: `key=${SECRET}`, [SECRET]: 'x' } }, ctx.credentials);
    for (const ref of ['${a.output.echo.x}', '${a.output.missing}', `\${nope_${'a'}.output.x}`]) {
      const detail = fail(ref, leaky);
      expect(JSON.stringify(detail)).not.toContain(SECRET);
    }
    expect(fail('${a.output.echo.x}', leaky).message).toContain('key=[REDACTED]');
  });
});

describe('resolveCredentialTemplate and credentialNamesIn', () => {
  it('fills every ${credentials.NAME} in an auth field or header', () => {
    const credentials = { USER: 'svc-orders', PASS: 'hunter2-long' };
    expect(resolveCredentialTemplate('${credentials.USER}:${credentials.PASS}', credentials, 'authentication.token')).toBe('svc-orders:hunter2-long');
    expect(resolveCredentialTemplate('static-value', credentials, 'headers.Accept')).toBe('static-value');
    expect(resolveCredentialTemplate('literal $${credentials.USER}', credentials, 'headers.X-Doc')).toBe('literal ${credentials.USER}');
  });

  it('refuses action references there, saying to use {param} placeholders', () => {
    const detail = failure(() => resolveCredentialTemplate('${get_user.output.id}', ctx.credentials, 'headers.X-User'));
    expect(detail.code).toBe('ACTION_REFERENCE_NOT_ALLOWED');
    expect(detail.suggestion).toContain('{param} placeholder');
  });

  it('reports a missing credential as auth_invalid and malformed syntax as REFERENCE_SYNTAX', () => {
    expect(failure(() => resolveCredentialTemplate('Bearer ${credentials.GONE}', ctx.credentials, 'headers.Authorization'))).toMatchObject({
      category: 'auth_invalid',
      code: 'CREDENTIAL_MISSING',
      context: { field: 'headers.Authorization', credential: 'GONE' },
    });
    expect(failure(() => resolveCredentialTemplate('Bearer ${credentials.}', ctx.credentials, 'headers.Authorization')).code).toBe('REFERENCE_SYNTAX');
  });

  it('credentialNamesIn lists names once, in order, ignoring everything else and never throwing', () => {
    expect(credentialNamesIn('${credentials.B} ${credentials.A} ${credentials.B} ${a.output.x} ${env.HOME} $${credentials.C} ${broken')).toEqual(['B', 'A']);
    expect(credentialNamesIn('no references')).toEqual([]);
    expect(credentialNamesIn(42 as unknown as string)).toEqual([]);
  });
});

describe('resolveCondition', () => {
  it.each<[string, boolean]>([
    ['${get_user.output.active}', true],
    ['${c.output.flag}', false],
    ['${c.output.data.on}', true],
  ])('%s resolves to %s (booleans, or the text "true"/"false" an output record stores)', (ref, expected) => {
    const context = { ...ctx, previousResults: { ...ctx.previousResults, c: JSON.stringify({ flag: 'false', data: JSON.stringify({ on: true }) }) } };
    expect(resolveCondition(ref, context)).toBe(expected);
  });

  it('anything else is validation_failed naming the reference and what it resolved to', () => {
    const detail = failure(() => resolveCondition('${get_user.output.email}', ctx));
    expect(detail).toMatchObject({ category: 'validation_failed', code: 'CONDITION_NOT_BOOLEAN', context: { field: 'condition.if', reference: '${get_user.output.email}' } });
    expect(detail.message).toBe(
      'Condition ${get_user.output.email} resolved to "ada@example.com" (a string), but a condition must be true or false (a boolean, or the text "true" or "false").',
    );
  });

  it('"TRUE" and "yes" are not booleans: the condition must be exact', () => {
    const context = ctxWith({ c: { a: 'TRUE', b: 'yes' } });
    expect(failure(() => resolveCondition('${c.output.a}', context)).code).toBe('CONDITION_NOT_BOOLEAN');
    expect(failure(() => resolveCondition('${c.output.b}', context)).code).toBe('CONDITION_NOT_BOOLEAN');
  });

  it('a condition on an action that has not run fails as an unknown action, labelled as the condition', () => {
    const detail = failure(() => resolveCondition('${later.output.ok}', ctx));
    expect(detail.code).toBe('REFERENCE_UNKNOWN_ACTION');
    expect(detail.message.startsWith('Condition refers to ${later.output.ok}')).toBe(true);
  });
});

describe('error context and distinctness', () => {
  it('a failure deep in a chain keeps the written reference and names the one that failed', () => {
    const context = ctxWith({ a: { next: '${b.output.missing}' }, b: { present: 'x' } });
    const detail = fail('${a.output.next}', context);
    expect(detail.context).toMatchObject({ input: 'owner', reference: '${a.output.next}', resolving: '${b.output.missing}', chain: 'a.output.next → b.output.missing' });
    expect(detail.message).toContain('(reached via a.output.next → b.output.missing)');
  });

  it('resolveValue names its field in messages and context', () => {
    const detail = failure(() => resolveValue('${nope.output.x}', ctx, { field: 'headers.X-Trace' }));
    expect(detail.message.startsWith('Field "headers.X-Trace" refers to')).toBe(true);
    expect(detail.context['field']).toBe('headers.X-Trace');
  });

  it('each kind of failure has its own code', () => {
    const deepJson = '['.repeat(300) + '"${b.output.x}"' + ']'.repeat(300);
    const chain17: Record<string, Record<string, string>> = { c16: { v: 'end' } };
    for (let i = 0; i < 16; i++) chain17[`c${i}`] = { v: `\${c${i + 1}.output.v}` };
    const input = (value: string, context: ReferenceContext = ctx) => (): unknown => resolveInputs({ owner: value }, context);
    const cases: (() => unknown)[] = [
      input('${a.output.}'),
      input('${nope.output.x}'),
      input('${get_user.output.nope}'),
      input('${get_user.output.email.x}'),
      input('${get_user.output.users[9]}'),
      input('${a.output.x}', { previousResults: { a: '{' }, credentials: {} }),
      input('${a.output.x}', ctxWith({ a: { x: '${a.output.x}' } })),
      input('${c0.output.v}', ctxWith(chain17)),
      input('${a.output.deep}', ctxWith({ a: { deep: deepJson }, b: { x: '1' } })),
      input('${credentials.ORDERS_API_KEY}'),
      input('${env.HOME}'),
      () => resolveCredentialTemplate('${a.output.x}', {}, 'headers.X'),
      () => resolveCredentialTemplate('${credentials.NONE}', {}, 'headers.X'),
      () => resolveCondition('${get_user.output.id}', ctx),
    ];
    const codes = cases.map((call) => failure(call).code);
    expect(new Set(codes).size).toBe(cases.length);
    expect([...codes].sort()).toEqual([...REFERENCE_ERROR_CODES].sort());
  });
});
