/**
 * fast-check generators for the fuzz test: whole cases of (request, definition, catalog entry, server
 * answers), mostly well-formed so executions get far, with a steady share of everything an API or a
 * careless author produces — invalid bytes, huge headers, truncated bodies, bad schemas, bad regexes,
 * missing credentials, literal secrets, catalogs that throw. Secrets are canaries the test looks for
 * in everything recorded.
 */
import fc from 'fast-check';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';
import type { ApiCatalogEntryInput } from '../../src/schemas/catalog.ts';
import { ErrorCategorySchema, type ErrorCategory } from '../../src/schemas/errors.ts';
import type { EchoMode, FuzzAnswer } from './fuzz-server.ts';

export const CATEGORIES: ErrorCategory[] = [...ErrorCategorySchema.options];

/** A secret value: printable, no spaces, long enough that finding it anywhere is no coincidence. */
export const canaryArb = fc.stringMatching(/^[!-~]{14,28}$/).map((s) => `cn${s}`);

/**
 * Patterns a backtracking engine takes exponential time on (issue 13 item 3: `(a+)+$` on 30 bytes took
 * 104 s), and ones RE2 cannot compile at all (backreferences, lookaround). Every user-supplied pattern
 * runs on RE2, so these must cost microseconds — or be reported, never throw.
 */
export const HOSTILE_PATTERNS = [
  '(a+)+$',
  '(a|aa)+$',
  '(a|a?)+$',
  '^(\\w+\\s?)*$',
  '(x+x+)+y',
  '(.*a){12}',
  '([a-zA-Z]+)*$',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(\\d+)*\\1',
  '(?=a)a',
  '(?<!b)a',
] as const;

/** A body the hostile patterns backtrack on: a long run of the repeated character, then a mismatch. */
const backtrackingBody = fc.constantFrom('a', 'x', 'w').chain((c) => fc.integer({ min: 24, max: 4096 }).map((n) => Buffer.from(`{"message":"${c.repeat(n)}!","error":"${'a'.repeat(n)}!"}`)));

const patternArb = (ordinary: readonly string[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ordinary) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_PATTERNS) });

/**
 * Ids as careless or hostile producers make them: lone surrogates, control characters (NUL, ANSI
 * escapes, bidi overrides), dot segments, path separators, and very long ones. Each must end as a
 * structured refusal or a recorded execution — never an unstructured throw.
 */
const hostileId = fc.oneof(
  fc.constantFrom('..', '.', '../..', 'a/../b', '\ud800', 'get\udfffuser', '\u0000', 'a\u0000b', '\u001b[31mred\u001b[0m', 'txt\u202eexe.', '\u2028', 'con', ' '),
  fc.integer({ min: 65, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);

/** `value` about once in `oneIn` cases, null otherwise. */
function rarely<T>(value: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: value });
}

const fieldName = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,10}$/);
/** Schema strings of the mini-language, all valid. */
const schemaType = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('string', 'number', 'integer', 'boolean', 'object', 'array:string', 'any', 'string:email', 'string:uri') },
  { weight: 4, arbitrary: fc.constantFrom('string?', 'integer?', 'any?', 'array:integer?', 'boolean?') },
  { weight: 1, arbitrary: fc.constantFrom('{"type":"string","minLength":2}', '{"enum":["a","b"]}') },
);
/** Schema strings a careless author writes; a definition gets one only now and then. */
const brokenSchemaType = fc.constantFrom('{"type":', 'strnig', 'array:', '?', 'string:phone');

/** What the definition's authentication block is, and how the custom handler behaves. */
export type AuthMode = 'none' | 'bearer' | 'api_key' | 'oauth2' | 'custom' | 'custom_throws' | 'custom_bad_header' | 'unknown_handler' | 'literal_secret' | 'missing_credential';

export interface DefinitionShape {
  definition: ActionDefinition;
  auth: AuthMode;
}

function authBlock(mode: AuthMode, baseUrl: string): ActionDefinition['authentication'] {
  switch (mode) {
    case 'none':
      return undefined;
    case 'bearer':
      return { type: 'bearer', token: '${credentials.API_TOKEN}', tokenFrom: 'env' };
    case 'api_key':
      return { type: 'api_key', header: 'X-Api-Key', value: '${credentials.API_TOKEN}', valueFrom: 'env' };
    case 'oauth2':
      return { type: 'oauth2', clientId: 'fuzz-client', clientSecret: '${credentials.CLIENT_SECRET}', tokenUrl: `${baseUrl}/token`, scope: ['read'] };
    case 'custom':
    case 'custom_throws':
    case 'custom_bad_header':
      return { type: 'custom', handler: 'fuzz' };
    case 'unknown_handler':
      return { type: 'custom', handler: 'nope' };
    case 'literal_secret':
      return { type: 'bearer', token: 'literal-secret-in-a-file', tokenFrom: 'env' };
    case 'missing_credential':
      return { type: 'bearer', token: '${credentials.NOT_GIVEN}', tokenFrom: 'env' };
  }
}

/** A definition aimed at `baseUrl`; most are valid, some break a rule the executor must report. */
export function definitionArb(baseUrl: string): fc.Arbitrary<DefinitionShape> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE' as const),
      path: fc.oneof({ weight: 20, arbitrary: fc.constantFrom('/r/{id}', '/r/{id}/items', '/r') }, { weight: 1, arbitrary: fc.constant('/r/{missing}') }),
      headers: fc.dictionary(
        fc.oneof({ weight: 30, arbitrary: fc.constantFrom('Accept', 'X-Trace', 'Idempotency-Key', 'X-Client-Secret', 'X-Token', 'User-Agent') }, { weight: 1, arbitrary: fc.constantFrom('Bad Header', 'X-Ünicode') }),
        fc.oneof(
          { weight: 30, arbitrary: fc.constantFrom('application/json', '{id}', '{idempotencyKey}', '${credentials.API_TOKEN}', 'trace-{id}', '*/*') },
          { weight: 1, arbitrary: fc.constantFrom('line\r\nbreak', '${credentials.NOT_GIVEN}', 'ünïcödé', '{nope}', '{idempotencyKey}') },
        ),
        { maxKeys: 4 },
      ),
      auth: fc.oneof(
        { weight: 20, arbitrary: fc.constantFrom<AuthMode>('none', 'bearer', 'api_key', 'oauth2', 'custom') },
        { weight: 2, arbitrary: fc.constantFrom<AuthMode>('custom_throws', 'custom_bad_header', 'unknown_handler', 'literal_secret', 'missing_credential') },
      ),
      extraInputs: fc.dictionary(fieldName.filter((name) => name !== 'id'), schemaType, { maxKeys: 3 }),
      outputSchema: fc.dictionary(fc.oneof(fieldName, fc.constantFrom('data.user.id', 'user_name')), schemaType, { maxKeys: 3 }),
      brokenSchema: rarely(fc.tuple(fc.constantFrom('inputSchema', 'outputSchema' as const), brokenSchemaType), 40),
      retry: fc.record({
        maxAttempts: fc.integer({ min: 1, max: 3 }),
        initialDelay: fc.integer({ min: 0, max: 500 }),
        maxDelay: fc.integer({ min: 0, max: 2000 }),
        backoffMultiplier: fc.double({ min: 1, max: 5, noNaN: true }),
        retryableErrors: fc.subarray(CATEGORIES),
        jitter: fc.boolean(),
      }),
      knownErrors: fc.array(
        fc.record({
          pattern: patternArb(['busy', 'token', 'invalid', '.*', '(unclosed', 'rate.?limit']),
          category: fc.constantFrom(...CATEGORIES),
          suggestion: fc.constantFrom('Try later.', 'Check the token.'),
        }),
        { maxLength: 2 },
      ),
      rateLimit: rarely(fc.record({ requests: fc.integer({ min: 1, max: 3 }), window: fc.integer({ min: 1, max: 5000 }), scope: fc.constantFrom('global', 'per_user', 'per_ip' as const) }), 6),
      timeout: fc.oneof({ weight: 9, arbitrary: fc.constant(3000) }, { weight: 1, arbitrary: fc.constant(30) }),
    })
    .map(({ method, path, headers, auth, extraInputs, outputSchema, brokenSchema, retry, knownErrors, rateLimit, timeout }) => {
      const definition: ActionDefinition = {
        id: 'fuzz-action',
        name: 'Fuzz action',
        description: 'Generated by the fuzz test',
        version: '1.0.0',
        endpoint: { url: `${baseUrl}${path}`, method, headers, timeout },
        inputSchema: { id: 'string', ...extraInputs },
        outputSchema,
        retryPolicy: retry,
        knownErrors,
        examples: [],
      };
      const authentication = authBlock(auth, baseUrl);
      if (authentication) definition.authentication = authentication;
      if (rateLimit) definition.rateLimit = rateLimit;
      if (brokenSchema) definition[brokenSchema[0]] = { ...definition[brokenSchema[0]], broken: brokenSchema[1] };
      return { definition, auth };
    });
}

/** How the catalog behaves for a case. */
export type CatalogShape = { kind: 'none' } | { kind: 'throws' } | { kind: 'entry'; entry: ApiCatalogEntryInput | Record<string, unknown> };

export function catalogArb(baseUrl: string): fc.Arbitrary<CatalogShape> {
  const mapping = fc.record(
    {
      pattern: patternArb(['busy', 'token', 'ok":false', '(bad', '.*']),
      status: fc.constantFrom(200, 400, 401, 403, 409, 429, 500, 503),
      header: fc.record({ name: fc.constantFrom('x-error', 'retry-after', 'x-echo'), pattern: patternArb(['.+', '^1', '[']) }),
      category: fc.constantFrom(...CATEGORIES),
      retryable: fc.boolean(),
      backoffStrategy: fc.constantFrom('exponential', 'linear', 'custom' as const),
    },
    { requiredKeys: ['category', 'retryable'] },
  );
  const entry = fc.record({
    apiId: fc.constant('fuzz'),
    name: fc.constant('Fuzz API'),
    version: fc.constant('1'),
    baseUrl: fc.constantFrom(baseUrl, `${baseUrl}/r`, 'https://elsewhere.example.com'),
    errorMappings: fc.array(mapping, { maxLength: 3 }),
    rateLimiting: fc.option(
      fc.record({
        detection: fc.record({ statusCodes: fc.subarray([429, 503, 403]), headers: fc.subarray(['x-ratelimit-remaining', 'retry-after']), bodyPatterns: fc.subarray(['rate', 'slow down', '(a+)+$', '(x+x+)+y', '(?=r)rate']) }),
        extraction: fc.record(
          { limitHeader: fc.constant('x-ratelimit-limit'), remainingHeader: fc.constant('x-ratelimit-remaining'), resetHeader: fc.constant('x-ratelimit-reset'), resetFormat: fc.constantFrom('unix_seconds', 'unix_ms', 'iso8601' as const) },
          { requiredKeys: [] },
        ),
        backoffStrategy: fc.record({ type: fc.constantFrom('exponential', 'linear', 'respect_reset' as const), initialDelay: fc.integer({ min: 0, max: 1000 }), maxDelay: fc.integer({ min: 0, max: 5000 }) }, { requiredKeys: ['type'] }),
      }),
      { nil: undefined },
    ),
    quirks: fc.record(
      {
        successWithErrorBody: fc.boolean(),
        emptyResponseOn204: fc.boolean(),
        binaryErrorResponses: fc.boolean(),
        nonStandardJsonContentType: fc.constantFrom('text/json', 'text/plain'),
        requiresUserAgent: fc.constantFrom('fuzz/1.0', 'bad\nagent'),
        maxResponseSize: fc.integer({ min: 1, max: 4096 }),
      },
      { requiredKeys: [] },
    ),
    healthCheck: fc.option(fc.record({ endpoint: fc.constant('/health'), expectedStatus: fc.constant(200), timeout: fc.constant(500) }), { nil: undefined }),
  });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<CatalogShape>({ kind: 'none' }) },
    { weight: 6, arbitrary: entry.map((e) => ({ kind: 'entry' as const, entry: Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) })) },
    { weight: 1, arbitrary: fc.constant<CatalogShape>({ kind: 'throws' }) },
    { weight: 1, arbitrary: fc.constant<CatalogShape>({ kind: 'entry', entry: { apiId: 'fuzz', baseUrl: 42, quirks: 'no' } }) },
  );
}

/** A body past the 1 MiB inline limit (it streams to storage), printed short in counterexamples. */
function largeBody(): Buffer {
  const size = 1024 * 1024 + 4096;
  return Object.assign(Buffer.alloc(size, 0x61), { [fc.toStringMethod]: () => `Buffer.alloc(${size}, 0x61)` });
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain; charset=utf-8',
  'text/html',
  'application/octet-stream',
  'image/png',
  'text/plain; charset=iso-8859-1',
  'text/json',
  'application/problem+json',
  'garbage/;;;',
  'text/plain; charset=bogus',
);

const jsonBody = (outputFields: string[]) =>
  fc.dictionary(fc.oneof(fc.constantFrom(...outputFields, 'userName', 'ok', 'error', 'message', 'token'), fieldName), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }).map((o) => Buffer.from(JSON.stringify(o)));

const bodyArb = (outputFields: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: jsonBody(outputFields) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>')) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(b), Buffer.from('"}')])) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: fc.constant(largeBody()) },
    { weight: 4, arbitrary: backtrackingBody },
  );

const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[ -~]{0,40}$/).map((s) => s.trim()) },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x80-\xff]{1,10}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 9000, max: 70_000 }).map((n) => 'h'.repeat(n)) },
);

const extraHeaders = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom('retry-after', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'ratelimit', 'x-error', 'www-authenticate', 'x-request-id', 'set-cookie'), fc.stringMatching(/^x-[a-z]{1,8}$/)),
    fc.oneof(fc.constantFrom('1', '0', '3600', '-5', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT', '99999999999', 'limit=10, remaining=0, reset=5'), headerValue),
  ),
  { maxLength: 4 },
);

/** One server answer. */
export function answerArb(outputFields: string[]): fc.Arbitrary<FuzzAnswer> {
  return fc
    .record({
      status: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(200, 201, 204) },
        { weight: 6, arbitrary: fc.constantFrom(301, 302, 307, 400, 401, 403, 404, 405, 408, 409, 410, 413, 422, 429, 500, 501, 502, 503, 504) },
        { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
      ),
      contentType: fc.option(contentType, { freq: 8 }),
      headers: extraHeaders,
      body: bodyArb(outputFields),
      echo: fc.constantFrom<EchoMode>('none', 'header', 'body', 'cookie', 'location'),
      truncateRoll: fc.integer({ min: 0, max: 19 }),
      delayRoll: fc.integer({ min: 0, max: 29 }),
      redirect: fc.constantFrom('same', 'cross', 'none' as const),
    })
    .map(({ status, contentType: type, headers, body, echo, truncateRoll, delayRoll, redirect }) => ({
      status,
      headers: type === null ? headers : [['content-type', type] as [string, string], ...headers],
      body,
      echo,
      truncate: truncateRoll === 0,
      delayMs: delayRoll === 0 ? 60 : 0,
      redirect,
    }));
}

/** The planned request's variable parts. */
export interface RequestShape {
  executionId: string;
  actionId: string;
  inputs: Record<string, string | number | boolean>;
  previous: string;
  condition: { if: string; then: 'execute'; else: 'skip' | 'fail' } | null;
  giveApiToken: boolean;
}

/** What `prev` (the one previous action) produced; references in inputs navigate it. */
const PREVIOUS = JSON.stringify({ user: JSON.stringify({ id: 'u_9', email: 'ada@example.com' }), count: '3', ok: 'true', tags: '["a","b"]', nums: '[1,2]', self: '${prev.output.self}' });

/** A value for a field of this schema type: usually one that fits, sometimes one that does not. */
function inputValue(type: string): fc.Arbitrary<string | number | boolean> {
  const base = type.replace(/\?$/, '');
  const fitting: fc.Arbitrary<string | number | boolean> =
    base === 'number' ? fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant('2.5'))
    : base === 'integer' ? fc.oneof(fc.integer(), fc.constant('${prev.output.count}'))
    : base === 'boolean' ? fc.oneof(fc.boolean(), fc.constant('${prev.output.ok}'))
    : base === 'object' ? fc.constant('${prev.output.user}')
    : base === 'array:integer' ? fc.constant('${prev.output.nums}')
    : base.startsWith('array') ? fc.constant('${prev.output.tags}')
    : base.includes('"enum"') ? fc.constantFrom('a', 'b')
    : base.includes('minLength') ? fc.string({ minLength: 2, maxLength: 12 })
    : base === 'string:email' ? fc.constant('${prev.output.user.email}')
    : base === 'string:uri' ? fc.constant('https://example.com/a?b=c')
    : fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('u_1', '../../etc/passwd', 'a/b?c=d#e', '${prev.output.user.id}'), hostileId);
  const unfitting = fc.constantFrom<string | number | boolean>('${prev.output.missing}', '${nope.output.x}', '${prev.output.self}', 'not-a-number', true, 12.5);
  return fc.oneof({ weight: 25, arbitrary: fitting }, { weight: 1, arbitrary: unfitting });
}

/** A request whose inputs follow `inputSchema` (mostly), with a previous result to reference. */
export function requestArb(inputSchema: Record<string, string>): fc.Arbitrary<RequestShape> {
  const fields = Object.fromEntries(Object.entries(inputSchema).map(([name, type]) => [name, fc.option(inputValue(type), { freq: 60, nil: undefined })]));
  return fc.record({
    executionId: fc.oneof(
      { weight: 60, arbitrary: fc.uuid({ version: 4 }) },
      { weight: 1, arbitrary: fc.constant('not-a-uuid') },
      { weight: 1, arbitrary: fc.uuid({ version: 4 }).chain((id) => fc.constantFrom(`${id}\u0000`, `../${id}`, `${id.slice(0, 8)}\ud800${id.slice(9)}`, id.toUpperCase())) },
    ),
    actionId: fc.oneof(
      { weight: 12, arbitrary: fc.stringMatching(/^[a-z_]{1,12}$/) },
      { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
      { weight: 2, arbitrary: hostileId },
    ),
    inputs: fc.record(fields).map((values) => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>),
    previous: fc.oneof({ weight: 30, arbitrary: fc.constant(PREVIOUS) }, { weight: 1, arbitrary: fc.constant('{not json') }),
    condition: rarely(fc.record({ if: fc.constantFrom('${prev.output.ok}', '${prev.output.missing}'), then: fc.constant('execute' as const), else: fc.constantFrom('skip', 'fail' as const) }), 12),
    giveApiToken: fc.oneof({ weight: 30, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
}

/** A case aimed squarely at catastrophic backtracking: a hostile pattern and a body built to trigger it. */
export interface RedosCase {
  /** Where the pattern sits: a definition's knownErrors, a catalog rule's message pattern, or its header pattern. */
  place: 'knownErrors' | 'catalog' | 'header';
  pattern: string;
  status: number;
  /** The text the pattern backtracks on (`ccc…c!`), in the body's message and an `x-error` header. */
  text: string;
}

/** Nested-quantifier templates; `C` is replaced by a character, `D` by another. */
const REDOS_TEMPLATES = ['(C+)+$', '(C|CC)+$', '(C*)*$', '(C+C+)+D', '^(C+)*$', '(C|C?)+$', '(.*C){14}$', '^(CC?)*$', '(C+)+D'];

export const redosCaseArb: fc.Arbitrary<RedosCase> = fc
  .record({
    place: fc.constantFrom('knownErrors', 'catalog', 'header' as const),
    template: fc.oneof(fc.constantFrom(...REDOS_TEMPLATES), fc.constantFrom(...HOSTILE_PATTERNS)),
    char: fc.constantFrom('a', 'x', 'w', '0', 'z'),
    length: fc.integer({ min: 28, max: 5000 }),
    status: fc.constantFrom(400, 409, 422, 429, 500, 503),
  })
  .map(({ place, template, char, length, status }) => ({
    place,
    pattern: template.replaceAll('C', char).replaceAll('D', char === 'z' ? 'y' : 'z'),
    status,
    text: `${char.repeat(length)}!`,
  }));
