/**
 * Input references (DESIGN §4 "References"; spec EXEC-002, EXEC-003, EXEC-004, edge case 8).
 * Failures, credentials and conditions: references-errors.test.ts; fast-check properties:
 * references-properties.test.ts.
 */
import { describe, it, expect } from 'vitest';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import { resolveInputs, resolveValue, type ReferenceContext } from '../src/references/references.ts';
import { makeGetUserOutput, makePlannedAction, makeReferenceContext } from './fixtures.ts';
import { contextWith, thrownActionError } from './support/thrown.ts';

/** The schema-valid detail of the ActionError `fn` throws. */
const failure = (fn: () => unknown): ErrorDetail => thrownActionError(fn).detail;

const ctxWith = contextWith;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const ctx = makeReferenceContext();
const one = (value: string, context: ReferenceContext = ctx): unknown => resolveInputs({ v: value }, context)['v'];

describe('EXEC-002: ${actionId.output.path} references resolve', () => {
  it('EXEC-002: a whole-string reference to a top-level output field returns that field', () => {
    expect(one('${get_user.output.id}')).toBe('usr_8f2a');
  });

  it('EXEC-002: ${id.output} alone is the whole output record', () => {
    expect(one('${get_user.output}')).toEqual(makeGetUserOutput());
  });

  it('EXEC-002: an embedded reference is interpolated into the surrounding text', () => {
    expect(one('Order for ${get_user.output.profile.name} <${get_user.output.email}>')).toBe('Order for Ada Lovelace <ada@example.com>');
  });

  it('EXEC-002: resolves every input of a planned action and passes literals through with their types', () => {
    const resolved = resolveInputs(makePlannedAction({ inputs: { ...makePlannedAction().inputs, express: true } }).inputs, ctx);
    expect(resolved).toEqual({ customerId: 'usr_8f2a', amount: 1999, currency: 'EUR', note: 'Order for Ada Lovelace', express: true });
  });

  it('EXEC-002: top-level output fields are text, so "36" stays the string "36" (validation coerces it)', () => {
    expect(one('${get_user.output.age}')).toBe('36');
  });

  it('EXEC-002: $${ is a literal "${", and a lone $ or braces are plain text', () => {
    expect(one('cost: $5 {net}, template $${get_user.output.id} = ${get_user.output.id}')).toBe('cost: $5 {net}, template ${get_user.output.id} = usr_8f2a');
  });

  it('EXEC-002: quoted keys reach field names no dotted path can spell', () => {
    const context = ctxWith({ list: { page: JSON.stringify({ '@odata.nextLink': 'https://api.example.com/p2', 'first name': 'Ada' }) } });
    expect(one('${list.output.page["@odata.nextLink"]}', context)).toBe('https://api.example.com/p2');
    expect(one('${list.output.page["first name"]}', context)).toBe('Ada');
  });

  it('EXEC-002: action ids and keys may contain hyphens', () => {
    expect(one('${get-user.output.x-request-id}', ctxWith({ 'get-user': { 'x-request-id': 'req_1' } }))).toBe('req_1');
  });

  it('EXEC-002: values without references come back unchanged, whatever their type', () => {
    expect(resolveInputs({ s: 'plain', n: 0, b: false, e: '' }, ctx)).toEqual({ s: 'plain', n: 0, b: false, e: '' });
  });
});

describe('EXEC-003: nested references through JSON text', () => {
  it('EXEC-003: ${id.output.users[0].name} navigates into a field stored as JSON text', () => {
    expect(one('${get_user.output.users[0].name}')).toBe('Ada');
    expect(one('${get_user.output.users[1].roles[0]}')).toBe('viewer');
  });

  it('EXEC-003: nested arrays are indexed step by step', () => {
    const context = ctxWith({ grid: { cells: JSON.stringify([[1, 2], [3, [4, 5]]]) } });
    expect(one('${grid.output.cells[1][1][0]}', context)).toBe(4);
  });

  it('EXEC-003: navigation hops through JSON text nested inside JSON text', () => {
    const inner = JSON.stringify({ user: { id: 'u_9' } });
    const context = ctxWith({ wrap: { envelope: JSON.stringify({ payload: inner }) } });
    expect(one('${wrap.output.envelope.payload.user.id}', context)).toBe('u_9');
  });

  it.each<[string, unknown]>([
    ['${t.output.data.count}', 42],
    ['${t.output.data.ratio}', 0.5],
    ['${t.output.data.enabled}', true],
    ['${t.output.data.deleted}', null],
    ['${t.output.data.tags}', ['a', 'b']],
    ['${t.output.data.owner}', { id: 7 }],
  ])('EXEC-003: whole-string %s keeps the resolved type', (ref, expected) => {
    const context = ctxWith({ t: { data: JSON.stringify({ count: 42, ratio: 0.5, enabled: true, deleted: null, tags: ['a', 'b'], owner: { id: 7 } }) } });
    expect(one(ref, context)).toEqual(expected);
  });

  it('EXEC-003: a whole-string reference to a field holding JSON text returns what the API returned (parsed)', () => {
    expect(one('${get_user.output.users}')).toEqual([{ name: 'Ada', roles: ['admin', 'billing'] }, { name: 'Grace', roles: ['viewer'] }]);
    expect(one('${get_user.output.profile.address}')).toEqual({ city: 'London', zip: 'W1' });
  });

  it('EXEC-003: embedded objects and arrays interpolate as JSON text, scalars as their text', () => {
    const context = ctxWith({ t: { data: JSON.stringify({ n: 3, ok: false, none: null, list: [1, 'x'], obj: { a: 1 } }) } });
    expect(one('n=${t.output.data.n} ok=${t.output.data.ok} none=${t.output.data.none}', context)).toBe('n=3 ok=false none=null');
    expect(one('list=${t.output.data.list} obj=${t.output.data.obj}', context)).toBe('list=[1,"x"] obj={"a":1}');
  });

  it('EXEC-003: text that merely starts with "[" is returned as text when the path ends there', () => {
    expect(one('${log.output.line}', ctxWith({ log: { line: '[WARN] disk at 91%' } }))).toBe('[WARN] disk at 91%');
  });
});

describe('references whose values are references', () => {
  it('a resolved value that is itself a reference is resolved in turn', () => {
    const context = ctxWith({ a: { next: '${b.output.value}' }, b: { value: JSON.stringify({ n: 1 }) } });
    expect(one('${a.output.next}', context)).toEqual({ n: 1 });
  });

  it('keeps the type through a chain and interpolates inside resolved text', () => {
    const context = ctxWith({ a: { n: '${b.output.data.count}', greeting: 'Hello ${b.output.data.name}' }, b: { data: JSON.stringify({ count: 5, name: 'Grace' }) } });
    expect(one('${a.output.n}', context)).toBe(5);
    expect(one('${a.output.greeting}!', context)).toBe('Hello Grace!');
  });

  it('navigation continues through a reference met in the middle of a path', () => {
    const context = ctxWith({ a: { owner: '${b.output.user}' }, b: { user: JSON.stringify({ name: 'Grace' }) } });
    expect(one('${a.output.owner.name}', context)).toBe('Grace');
  });

  it('${id.output} resolves the references inside the whole record, without touching previousResults', () => {
    const context = deepFreeze(ctxWith({ a: { plain: 'x', linked: '${b.output.id}' }, b: { id: 'b_1' } }));
    expect(one('${a.output}', context)).toEqual({ plain: 'x', linked: 'b_1' });
    expect(JSON.parse(context.previousResults['a']!)).toEqual({ plain: 'x', linked: '${b.output.id}' });
  });

  it('using the same reference twice, or two paths to one value, is not a cycle', () => {
    const context = ctxWith({ a: { l: '${c.output.v}', r: '${c.output.v}' }, c: { v: 'shared' } });
    expect(one('${a.output.l}/${a.output.r}/${c.output.v}', context)).toBe('shared/shared/shared');
  });

  it('text from previous results is data: a malformed ${HOME} and ${env.PATH} stay literal there', () => {
    const context = ctxWith({ a: { script: 'echo ${HOME} ${env.PATH} ${a b}' } });
    expect(one('${a.output.script}', context)).toBe('echo ${HOME} ${env.PATH} ${a b}');
  });

  it('a ${credentials.X} inside API data is never resolved, even where credentials are allowed', () => {
    const context = ctxWith({ evil: { header: '${credentials.API_KEY}' } }, { API_KEY: 'sk_live_secret_value' });
    expect(resolveValue('${evil.output.header}', context, { allowCredentials: true })).toBe('${credentials.API_KEY}');
  });

  it('fan-out is resolved once per reference: 12 levels of 4 references each stays fast and shares results', () => {
    const outputs: Record<string, Record<string, string>> = { c12: { v: 'leaf' } };
    for (let level = 0; level < 12; level++) {
      const next = `\${c${level + 1}.output}`;
      outputs[`c${level}`] = { w: next, x: next, y: next, z: next };
    }
    const started = performance.now();
    const tree = one('${c0.output}', ctxWith(outputs)) as Record<string, unknown>;
    let node: unknown = tree;
    for (let level = 0; level < 12; level++) node = (node as Record<string, unknown>)[['w', 'x', 'y', 'z'][level % 4]!];
    expect(node).toEqual({ v: 'leaf' });
    expect(performance.now() - started).toBeLessThan(2_000); // 4^12 = 16.7M resolutions without memoising
  });
});

describe('EXEC-004 and edge case 8: circular references', () => {
  it('edge case 8: ${a.output} referencing ${b.output} which references ${a.output} fails with the chain', () => {
    const context = ctxWith({ a: { next: '${b.output}' }, b: { next: '${a.output}' } });
    const detail = failure(() => resolveInputs({ target: '${a.output}' }, context));
    expect(detail).toMatchObject({ category: 'validation_failed', code: 'REFERENCE_CYCLE', retryable: false });
    expect(detail.message).toBe('Input "target" has a circular reference: a.output → b.output → a.output. Resolving it would never end.');
    expect(detail.context).toMatchObject({ input: 'target', reference: '${a.output}', chain: 'a.output → b.output → a.output' });
  });

  it('EXEC-004: a field that references itself is a cycle of one', () => {
    const detail = failure(() => one('${a.output.x}', ctxWith({ a: { x: '${a.output.x}' } })));
    expect(detail.code).toBe('REFERENCE_CYCLE');
    expect(detail.context['chain']).toBe('a.output.x → a.output.x');
  });

  it('EXEC-004: a three-step cycle prints every step in canonical form (quoted keys as .key)', () => {
    const context = ctxWith({ a: { x: '${b.output.y}' }, b: { y: 'via ${c.output["z"]}' }, c: { z: '${a.output.x}' } });
    expect(failure(() => one('${a.output.x}', context)).context['chain']).toBe('a.output.x → b.output.y → c.output.z → a.output.x');
  });

  it('EXEC-004: a cycle entered from outside prints the whole path and the loop apart', () => {
    const context = ctxWith({ start: { go: '${a.output.x}' }, a: { x: '${b.output.y}' }, b: { y: '${a.output.x}' } });
    const detail = failure(() => one('${start.output.go}', context));
    expect(detail.context['chain']).toBe('start.output.go → a.output.x → b.output.y → a.output.x');
    expect(detail.context['cycle']).toBe('a.output.x → b.output.y → a.output.x');
  });

  it('EXEC-004: a cycle through a reference met mid-path is detected', () => {
    const context = ctxWith({ a: { link: '${a.output.link.more}' } });
    expect(failure(() => one('${a.output.link.more}', context)).code).toBe('REFERENCE_CYCLE');
  });
});

describe('depth limit', () => {
  const chain = (length: number): ReferenceContext => {
    const outputs: Record<string, Record<string, string>> = { [`c${length - 1}`]: { v: 'end' } };
    for (let i = 0; i < length - 1; i++) outputs[`c${i}`] = { v: `\${c${i + 1}.output.v}` };
    return ctxWith(outputs);
  };

  it('a chain of exactly 16 references (the default) resolves; 17 fails with REFERENCE_DEPTH_EXCEEDED', () => {
    expect(one('${c0.output.v}', chain(16))).toBe('end');
    const detail = failure(() => one('${c0.output.v}', chain(17)));
    expect(detail.code).toBe('REFERENCE_DEPTH_EXCEEDED');
    expect(detail.message).toContain('Input "v" refers to ${c0.output.v}, whose chain of references is deeper than 16 levels: c0.output.v → c1.output.v →');
    expect(detail.context['maxDepth']).toBe('16');
  });

  it('maxDepth is an option', () => {
    expect(failure(() => resolveInputs({ v: '${c0.output.v}' }, chain(5), { maxDepth: 4 })).code).toBe('REFERENCE_DEPTH_EXCEEDED');
    expect(resolveInputs({ v: '${c0.output.v}' }, chain(17), { maxDepth: 17 })).toEqual({ v: 'end' });
  });

  it('the limit holds whatever order inputs are resolved in (a chain already resolved is not a shortcut)', () => {
    const context = chain(10);
    const outputs = Object.fromEntries(Object.entries(context.previousResults));
    outputs['d0'] = JSON.stringify({ v: '${d1.output.v}' });
    outputs['d1'] = JSON.stringify({ v: '${c0.output.v}' });
    const deeper = { previousResults: outputs, credentials: {} };
    for (const inputs of [{ short: '${c0.output.v}', long: '${d0.output.v}' }, { long: '${d0.output.v}', short: '${c0.output.v}' }]) {
      expect(failure(() => resolveInputs(inputs, deeper, { maxDepth: 11 })).code).toBe('REFERENCE_DEPTH_EXCEEDED');
      expect(resolveInputs(inputs, deeper, { maxDepth: 12 })).toEqual({ short: 'end', long: 'end' });
    }
  });

  it('an invalid maxDepth is a programming error, not a user error', () => {
    expect(() => resolveInputs({}, ctx, { maxDepth: 0 })).toThrow(RangeError);
  });
});

describe('inputs are never mutated', () => {
  it('resolves deeply frozen inputs and context, returning new objects and leaving the originals intact', () => {
    const inputs = deepFreeze({ ...makePlannedAction().inputs, users: '${get_user.output.users}' });
    const context = deepFreeze(makeReferenceContext());
    const before = structuredClone({ inputs, context });
    const resolved = resolveInputs(inputs, context);
    expect(resolved).not.toBe(inputs);
    expect(resolved['users']).toEqual([{ name: 'Ada', roles: ['admin', 'billing'] }, { name: 'Grace', roles: ['viewer'] }]);
    expect({ inputs, context }).toEqual(before);
  });

  it('a failure leaves frozen inputs intact too', () => {
    const inputs = deepFreeze({ a: '${get_user.output.id}', b: '${missing.output.x}' });
    const detail = failure(() => resolveInputs(inputs, deepFreeze(makeReferenceContext())));
    expect(detail.code).toBe('REFERENCE_UNKNOWN_ACTION');
    expect(inputs).toEqual({ a: '${get_user.output.id}', b: '${missing.output.x}' });
  });

  it('each call parses afresh: changing a returned object cannot leak into the next call', () => {
    const first = one('${get_user.output.profile}') as Record<string, unknown>;
    first['name'] = 'changed';
    expect(one('${get_user.output.profile.name}')).toBe('Ada Lovelace');
  });

  it('an input named __proto__ stays an ordinary own property', () => {
    const inputs = JSON.parse('{"__proto__": "${get_user.output.id}"}') as Record<string, string>;
    const resolved = resolveInputs(inputs, ctx);
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(resolved, '__proto__')?.value).toBe('usr_8f2a');
  });
});
