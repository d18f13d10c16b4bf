/**
 * Spec §4.1 schemas: each accepts a realistic example and rejects each kind of bad value with an
 * issue whose path names the offending field (what registries and the CLI report to users).
 */
import { describe, it, expect } from 'vitest';
import type { z } from 'zod';
import { ActionDefinitionSchema } from '../src/schemas/action-definition.ts';
import { AuthenticationSchema } from '../src/schemas/auth.ts';
import { ApiCatalogEntrySchema, ApiQuirksSchema } from '../src/schemas/catalog.ts';
import { ErrorCategorySchema, ErrorDetailSchema } from '../src/schemas/errors.ts';
import { ActionExecutionStateSchema, ExecutionStateSchema } from '../src/schemas/execution-state.ts';
import {
  ActionIdSchema,
  CustomerIdSchema,
  DurationMsSchema,
  ExecutionIdSchema,
  ISODateTimeSchema,
  PatternIdSchema,
  URLSchema,
  UserIdSchema,
} from '../src/schemas/ids.ts';
import { ActionExecuteRequestSchema } from '../src/schemas/job.ts';
import { ActionReferenceSchema, ExecutionPlanSchema, PlannedActionSchema } from '../src/schemas/plan.ts';
import { RetryPolicySchema } from '../src/schemas/retry.ts';
import { StorageLocationSchema } from '../src/schemas/storage.ts';
import { resolveInputs } from '../src/references/references.ts';
import { isActionError } from '../src/failure/errors.ts';
import {
  EXECUTION_ID,
  makeActionDefinition,
  makeActionExecutionState,
  makeCatalogEntry,
  makeErrorDetail,
  makeExecuteRequest,
  makeExecutionPlan,
  makeExecutionState,
  makePlannedAction,
  makeReferenceContext,
  makeRetryPolicy,
  makeStorageLocation,
} from './fixtures.ts';

type Path = (string | number)[];

/** Parses and returns the path of the first issue, failing the test if the value was accepted. */
function firstIssuePath(schema: z.ZodType, value: unknown): Path {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected rejection, but the schema accepted ${JSON.stringify(value)}`);
  return result.error.issues[0]!.path as Path;
}

const UUID = '6f1d2c3b-4a59-4e87-9d6c-5b4a39281706';

describe('realistic examples are accepted', () => {
  it.each<[string, z.ZodType, () => unknown]>([
    ['ActionDefinition', ActionDefinitionSchema, () => makeActionDefinition()],
    ['PlannedAction', PlannedActionSchema, () => makePlannedAction()],
    ['ExecutionPlan', ExecutionPlanSchema, () => makeExecutionPlan()],
    ['ApiCatalogEntry', ApiCatalogEntrySchema, () => makeCatalogEntry()],
    ['RetryPolicy', RetryPolicySchema, () => makeRetryPolicy()],
    ['ErrorDetail', ErrorDetailSchema, () => makeErrorDetail()],
    ['StorageLocation', StorageLocationSchema, () => makeStorageLocation()],
    ['ActionExecutionState', ActionExecutionStateSchema, () => makeActionExecutionState()],
    ['ExecutionState', ExecutionStateSchema, () => makeExecutionState()],
    ['the action.execute.requested payload', ActionExecuteRequestSchema, () => makeExecuteRequest()],
  ])('%s fixture parses, keeping every field it was given', (_name, schema, make) => {
    const value = make();
    // toMatchObject, not toEqual: the catalog entry gains its quirk defaults when parsed.
    expect(schema.parse(value)).toMatchObject(value as object);
  });

  it('a definition without the optional authentication and rateLimit parses', () => {
    const { authentication: _a, rateLimit: _r, ...bare } = makeActionDefinition();
    expect(ActionDefinitionSchema.safeParse(bare).success).toBe(true);
  });
});

describe('ids and primitives', () => {
  it.each<[string, z.ZodType]>([
    ['UserId', UserIdSchema],
    ['CustomerId', CustomerIdSchema],
    ['ExecutionId', ExecutionIdSchema],
    ['PatternId', PatternIdSchema],
  ])('%s parses a v4 UUID to the same string and rejects anything else', (_name, schema) => {
    expect(schema.parse(UUID)).toBe(UUID);
    for (const bad of ['not-a-uuid', '6f1d2c3b4a594e879d6c5b4a39281706', '', 42]) {
      expect(schema.safeParse(bad).success).toBe(false);
    }
  });

  it('ActionId is a branded free-form string (plan-local ids are not UUIDs)', () => {
    expect(ActionIdSchema.parse('get_user')).toBe('get_user');
    expect(ActionIdSchema.safeParse(7).success).toBe(false);
  });

  it('ISODateTime accepts UTC instants with and without milliseconds', () => {
    expect(ISODateTimeSchema.safeParse('2025-03-14T09:26:53Z').success).toBe(true);
    expect(ISODateTimeSchema.safeParse('2025-03-14T09:26:53.589Z').success).toBe(true);
  });

  it.each(['2025-03-14', '14/03/2025 09:26', 'yesterday', '2025-03-14T09:26:53+02:00'])(
    'ISODateTime rejects %s (zod .datetime() takes UTC "Z" only, as the spec schema is written)',
    (bad) => {
      expect(ISODateTimeSchema.safeParse(bad).success).toBe(false);
    },
  );

  it('URL requires a protocol', () => {
    expect(URLSchema.safeParse('https://api.example.com/v1').success).toBe(true);
    expect(URLSchema.safeParse('api.example.com/v1').success).toBe(false);
    expect(URLSchema.safeParse('').success).toBe(false);
  });

  it.each([-1, 1.5, '100', Number.NaN])('DurationMs rejects %s', (bad) => {
    expect(DurationMsSchema.safeParse(bad).success).toBe(false);
  });
});

describe('ErrorDetail', () => {
  it('accepts the minimal form (category, message, retryable, context)', () => {
    expect(ErrorDetailSchema.safeParse({ category: 'auth_invalid', message: 'Key revoked', retryable: false, context: {} }).success).toBe(true);
  });

  it('accepts every one of the twelve categories', () => {
    expect(ErrorCategorySchema.options).toHaveLength(12);
    for (const category of ErrorCategorySchema.options) {
      expect(ErrorDetailSchema.safeParse(makeErrorDetail({ category })).success).toBe(true);
    }
  });

  it.each<[string, Record<string, unknown>, Path]>([
    ['an unknown category', { category: 'server_on_fire' }, ['category']],
    ['a non-boolean retryable', { retryable: 'yes' }, ['retryable']],
    ['a fractional status code', { statusCode: 429.5 }, ['statusCode']],
    ['a retryAfter that is not a datetime', { retryAfter: 'in 5 minutes' }, ['retryAfter']],
    ['a context value that is not a string', { context: { attempt: 2 } }, ['context', 'attempt']],
  ])('rejects %s, naming the field', (_what, patch, path) => {
    expect(firstIssuePath(ErrorDetailSchema, { ...makeErrorDetail(), ...patch })).toEqual(path);
  });

  it('rejects a missing message, naming it', () => {
    const { message: _m, ...withoutMessage } = makeErrorDetail();
    expect(firstIssuePath(ErrorDetailSchema, withoutMessage)).toEqual(['message']);
  });
});

describe('StorageLocation', () => {
  it.each<[string, Record<string, unknown>, Path]>([
    ['a provider other than local or postgres', { provider: 's3' }, ['provider']],
    ['a negative size', { size: -1 }, ['size']],
    ['a non-string metadata value', { metadata: { actionId: 1 } }, ['metadata', 'actionId']],
  ])('rejects %s', (_what, patch, path) => {
    expect(firstIssuePath(StorageLocationSchema, { ...makeStorageLocation(), ...patch })).toEqual(path);
  });

  it("accepts provider 'postgres' beside the spec's 'local' (a departure, docs/decisions.md)", () => {
    const location = { ...makeStorageLocation(), provider: 'postgres', path: 'postgres://127.0.0.1:5432/app#results/e1.state.json' };
    expect(StorageLocationSchema.parse(location)).toEqual(location);
  });
});

describe('API catalog entry', () => {
  it('applies the quirk defaults the spec declares when a catalog omits them', () => {
    const quirks = ApiQuirksSchema.parse({});
    expect(quirks).toEqual({ successWithErrorBody: false, emptyResponseOn204: true, binaryErrorResponses: false });
    const entry = ApiCatalogEntrySchema.parse(makeCatalogEntry());
    expect(entry.quirks.successWithErrorBody).toBe(false);
    expect(entry.quirks.emptyResponseOn204).toBe(true);
    expect(entry.quirks.binaryErrorResponses).toBe(false);
    expect(entry.quirks.requiresUserAgent).toBe('action-executor-tests/1.0');
  });

  it('keeps explicit quirk values instead of the defaults (Slack-style 200 with an error body)', () => {
    const quirks = ApiQuirksSchema.parse({ successWithErrorBody: true, emptyResponseOn204: false, binaryErrorResponses: true });
    expect(quirks).toMatchObject({ successWithErrorBody: true, emptyResponseOn204: false, binaryErrorResponses: true });
  });

  it.each<[string, (e: ReturnType<typeof makeCatalogEntry>) => unknown, Path]>([
    ['a baseUrl without protocol', (e) => ({ ...e, baseUrl: 'api.example.com' }), ['baseUrl']],
    ['an error mapping with an unknown category', (e) => ({ ...e, errorMappings: [{ status: 500, category: 'oops', retryable: true }] }), ['errorMappings', 0, 'category']],
    ['an error mapping without retryable', (e) => ({ ...e, errorMappings: [{ status: 500, category: 'api_unexpected_status' }] }), ['errorMappings', 0, 'retryable']],
    ['an unknown mapping backoff strategy', (e) => ({ ...e, errorMappings: [{ category: 'api_unexpected_status', retryable: true, backoffStrategy: 'random' }] }), ['errorMappings', 0, 'backoffStrategy']],
    ['a header rule without a pattern', (e) => ({ ...e, errorMappings: [{ header: { name: 'X-Error' }, category: 'api_unexpected_status', retryable: true }] }), ['errorMappings', 0, 'header', 'pattern']],
    ['an unknown reset format', (e) => ({ ...e, rateLimiting: { ...e.rateLimiting!, extraction: { resetFormat: 'rfc1123' } } }), ['rateLimiting', 'extraction', 'resetFormat']],
    ['an unknown rate-limit backoff type', (e) => ({ ...e, rateLimiting: { ...e.rateLimiting!, backoffStrategy: { type: 'fibonacci' } } }), ['rateLimiting', 'backoffStrategy', 'type']],
    ['a non-integer rate-limit status code', (e) => ({ ...e, rateLimiting: { ...e.rateLimiting!, detection: { statusCodes: ['429'], headers: [] } } }), ['rateLimiting', 'detection', 'statusCodes', 0]],
    ['a zero maxResponseSize', (e) => ({ ...e, quirks: { maxResponseSize: 0 } }), ['quirks', 'maxResponseSize']],
    ['a negative health-check timeout', (e) => ({ ...e, healthCheck: { endpoint: '/health', expectedStatus: 200, timeout: -5 } }), ['healthCheck', 'timeout']],
    ['a missing quirks object', ({ quirks: _q, ...e }) => e, ['quirks']],
  ])('rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ApiCatalogEntrySchema, mutate(makeCatalogEntry()))).toEqual(path);
  });
});

describe('Authentication', () => {
  it.each([
    { type: 'bearer', token: '${credentials.GITHUB_TOKEN}', tokenFrom: 'env' },
    { type: 'api_key', header: 'X-Api-Key', value: '${credentials.KEY}', valueFrom: 'user_input' },
    { type: 'oauth2', clientId: 'cid', clientSecret: '${credentials.SECRET}', tokenUrl: 'https://auth.example.com/oauth/token', scope: ['orders:write'] },
    { type: 'custom', handler: 'hmacSigner' },
  ])('accepts a $type configuration', (auth) => {
    expect(AuthenticationSchema.parse(auth)).toEqual(auth);
  });

  it.each<[string, unknown, Path]>([
    ['an unknown type (bad discriminator)', { type: 'basic', username: 'u', password: 'p' }, ['type']],
    ['a bearer config without token', { type: 'bearer', tokenFrom: 'env' }, ['token']],
    ['an api_key sourced from oauth_flow', { type: 'api_key', header: 'X-Api-Key', value: 'k', valueFrom: 'oauth_flow' }, ['valueFrom']],
    ['an oauth2 tokenUrl that is not a URL', { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: '/oauth/token', scope: [] }, ['tokenUrl']],
    ['an oauth2 scope given as one string', { type: 'oauth2', clientId: 'c', clientSecret: 's', tokenUrl: 'https://a.example.com/t', scope: 'read write' }, ['scope']],
  ])('rejects %s, naming the field', (_what, value, path) => {
    expect(firstIssuePath(AuthenticationSchema, value)).toEqual(path);
  });
});

describe('RetryPolicy', () => {
  it('accepts the boundaries: 1 and 10 attempts, multiplier 1 and 5', () => {
    for (const patch of [{ maxAttempts: 1 }, { maxAttempts: 10 }, { backoffMultiplier: 1 }, { backoffMultiplier: 5 }]) {
      expect(RetryPolicySchema.safeParse(makeRetryPolicy(patch)).success).toBe(true);
    }
  });

  it.each<[string, Record<string, unknown>, Path]>([
    ['0 attempts', { maxAttempts: 0 }, ['maxAttempts']],
    ['11 attempts', { maxAttempts: 11 }, ['maxAttempts']],
    ['2.5 attempts', { maxAttempts: 2.5 }, ['maxAttempts']],
    ['a multiplier below 1', { backoffMultiplier: 0.5 }, ['backoffMultiplier']],
    ['a multiplier above 5', { backoffMultiplier: 6 }, ['backoffMultiplier']],
    ['a negative initial delay', { initialDelay: -100 }, ['initialDelay']],
    ['a fractional max delay', { maxDelay: 1000.5 }, ['maxDelay']],
    ['an unknown retryable category', { retryableErrors: ['network_timeout', 'flaky'] }, ['retryableErrors', 1]],
    ['a non-boolean jitter', { jitter: 'yes' }, ['jitter']],
  ])('rejects %s', (_what, patch, path) => {
    expect(firstIssuePath(RetryPolicySchema, makeRetryPolicy(patch as never))).toEqual(path);
  });
});

describe('ActionDefinition', () => {
  it.each(['1.0', 'v1.0.0', '1.0.0-beta', '1.0.0.0'])('rejects the non-semver version %s', (version) => {
    expect(firstIssuePath(ActionDefinitionSchema, makeActionDefinition({ version }))).toEqual(['version']);
  });

  it.each<[string, (d: ReturnType<typeof makeActionDefinition>) => unknown, Path]>([
    ['a missing name', ({ name: _n, ...d }) => d, ['name']],
    ['an unsupported method', (d) => ({ ...d, endpoint: { ...d.endpoint, method: 'HEAD' } }), ['endpoint', 'method']],
    ['an endpoint url without protocol', (d) => ({ ...d, endpoint: { ...d.endpoint, url: '/v1/orders' } }), ['endpoint', 'url']],
    ['a negative timeout', (d) => ({ ...d, endpoint: { ...d.endpoint, timeout: -1 } }), ['endpoint', 'timeout']],
    ['a non-string header value', (d) => ({ ...d, endpoint: { ...d.endpoint, headers: { 'X-Retry': 3 } } }), ['endpoint', 'headers', 'X-Retry']],
    ['a non-string input schema entry', (d) => ({ ...d, inputSchema: { amount: 1 } }), ['inputSchema', 'amount']],
    ['an unknown known-error category', (d) => ({ ...d, knownErrors: [{ pattern: 'x', category: 'weird', suggestion: 's' }] }), ['knownErrors', 0, 'category']],
    ['a zero rate-limit request count', (d) => ({ ...d, rateLimit: { requests: 0, window: 1000, scope: 'global' } }), ['rateLimit', 'requests']],
    ['an unknown rate-limit scope', (d) => ({ ...d, rateLimit: { requests: 1, window: 1000, scope: 'per_tenant' } }), ['rateLimit', 'scope']],
    ['a non-string example input', (d) => ({ ...d, examples: [{ name: 'n', input: { amount: 5 }, output: {} }] }), ['examples', 0, 'input', 'amount']],
    ['a nested auth config with a bad discriminator', (d) => ({ ...d, authentication: { type: 'digest' } }), ['authentication', 'type']],
    ['a nested retry policy out of range', (d) => ({ ...d, retryPolicy: { ...d.retryPolicy, maxAttempts: 99 } }), ['retryPolicy', 'maxAttempts']],
  ])('rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ActionDefinitionSchema, mutate(makeActionDefinition()))).toEqual(path);
  });
});

describe('ActionReference and PlannedAction', () => {
  it.each(['${get_user.output.id}', '${get_user.output.users[0].name}', '${a.output}'])('ActionReference accepts %s', (ref) => {
    expect(ActionReferenceSchema.safeParse(ref).success).toBe(true);
  });

  it.each(['get_user.output.id', '${get_user}', '${get_user.output.id} and more', '${get-user.output.id}', '${a.output["x"]}'])(
    'ActionReference rejects %s (the spec regex)',
    (ref) => {
      expect(ActionReferenceSchema.safeParse(ref).success).toBe(false);
    },
  );

  it('parses ids as branded ActionIds', () => {
    const parsed = PlannedActionSchema.parse(makePlannedAction());
    expect(parsed.id).toBe('create_order');
    expect(parsed.dependencies).toEqual(['get_user']);
  });

  it.each<[string, (a: ReturnType<typeof makePlannedAction>) => unknown, Path]>([
    ['a null input', (a) => ({ ...a, inputs: { ...a.inputs, note: null } }), ['inputs', 'note']],
    ['an object input', (a) => ({ ...a, inputs: { customerId: { id: 1 } } }), ['inputs', 'customerId']],
    ['a condition.if that is not a reference', (a) => ({ ...a, condition: { if: 'get_user.output.active', then: 'execute', else: 'skip' } }), ['condition', 'if']],
    ['a condition.then other than execute', (a) => ({ ...a, condition: { if: '${a.output.b}', then: 'skip', else: 'skip' } }), ['condition', 'then']],
    ['an unknown condition.else', (a) => ({ ...a, condition: { if: '${a.output.b}', then: 'execute', else: 'retry' } }), ['condition', 'else']],
    ['a missing errorHandling', ({ errorHandling: _e, ...a }) => a, ['errorHandling']],
    ['a non-string fallback value', (a) => ({ ...a, errorHandling: { continueOnFailure: true, fallbackValue: { status: 0 } } }), ['errorHandling', 'fallbackValue', 'status']],
    ['a negative confirmation timeout', (a) => ({ ...a, userConfirmation: { required: true, title: 't', message: 'm', timeout: -1 } }), ['userConfirmation', 'timeout']],
    ['dependencies given as a string', (a) => ({ ...a, dependencies: 'get_user' }), ['dependencies']],
  ])('rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(PlannedActionSchema, mutate(makePlannedAction()))).toEqual(path);
  });

  it('lets a malformed reference through as a literal input string, which the resolver then rejects', () => {
    // The spec's inputs union lists z.string() before ActionReferenceSchema, so the schema cannot
    // catch a broken reference; references.ts must.
    const action = PlannedActionSchema.parse(makePlannedAction({ inputs: { customerId: '${get_user.output.}' } }));
    let caught: unknown;
    try {
      resolveInputs(action.inputs, makeReferenceContext());
    } catch (error) {
      caught = error;
    }
    expect(isActionError(caught) && caught.detail.code).toBe('REFERENCE_SYNTAX');
  });
});

describe('ExecutionPlan', () => {
  it.each<[string, (p: ReturnType<typeof makeExecutionPlan>) => unknown, Path]>([
    ['a plan id that is not a UUID', (p) => ({ ...p, id: 'plan-1' }), ['id']],
    ['a confidence above 1', (p) => ({ ...p, intent: { ...p.intent, confidence: 1.5 } }), ['intent', 'confidence']],
    ['an unknown validation operator', (p) => ({ ...p, expectedOutcome: { description: 'd', validations: [{ name: 'n', reference: '${a.output.b}', operator: 'gt' }] } }), ['expectedOutcome', 'validations', 0, 'operator']],
    ['a validation reference that does not match the ActionReference regex', (p) => ({ ...p, expectedOutcome: { description: 'd', validations: [{ name: 'n', reference: 'a.output.b', operator: 'exists' }] } }), ['expectedOutcome', 'validations', 0, 'reference']],
    ['a createdAt that is not a datetime', (p) => ({ ...p, metadata: { ...p.metadata, createdAt: 'today' } }), ['metadata', 'createdAt']],
    ['a createdBy that is not a UUID', (p) => ({ ...p, metadata: { ...p.metadata, createdBy: 'ada' } }), ['metadata', 'createdBy']],
    ['a bad action inside the plan', (p) => ({ ...p, actions: [p.actions[0], { ...p.actions[1], errorHandling: {} }] }), ['actions', 1, 'errorHandling', 'continueOnFailure']],
  ])('rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ExecutionPlanSchema, mutate(makeExecutionPlan()))).toEqual(path);
  });
});

describe('execution state', () => {
  it('accepts a failed action with a classified error and a skipped action with a reason', () => {
    const failed = makeActionExecutionState({ status: 'failed', result: { status: 'failure', error: makeErrorDetail(), partialOutput: { orderId: 'ord_1' } } });
    const skipped = makeActionExecutionState({ status: 'skipped', result: { status: 'skipped', reason: 'condition ${get_user.output.active} was false' }, httpTrace: [] });
    expect(ActionExecutionStateSchema.safeParse(failed).success).toBe(true);
    expect(ActionExecutionStateSchema.safeParse(skipped).success).toBe(true);
  });

  it.each<[string, (s: ReturnType<typeof makeActionExecutionState>) => unknown, Path]>([
    ['an unknown status', (s) => ({ ...s, status: 'done' }), ['status']],
    ['a result with an unknown status (bad discriminator)', (s) => ({ ...s, result: { status: 'partial', output: {} } }), ['result', 'status']],
    ['a success result without outputLocation', (s) => ({ ...s, result: { status: 'success', output: {} } }), ['result', 'outputLocation']],
    ['a failure result with an incomplete error', (s) => ({ ...s, result: { status: 'failure', error: { category: 'network_timeout', message: 'm', context: {} } } }), ['result', 'error', 'retryable']],
    ['a traced request url without protocol', (s) => ({ ...s, httpTrace: [{ ...s.httpTrace[0]!, request: { ...s.httpTrace[0]!.request, url: '/v1/orders' } }] }), ['httpTrace', 0, 'request', 'url']],
    ['a negative traced response duration', (s) => ({ ...s, httpTrace: [{ ...s.httpTrace[0]!, response: { ...s.httpTrace[0]!.response!, duration: -3 } }] }), ['httpTrace', 0, 'response', 'duration']],
    ['a non-integer attempt count', (s) => ({ ...s, attempts: 1.5 }), ['attempts']],
  ])('ActionExecutionState rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ActionExecutionStateSchema, mutate(makeActionExecutionState()))).toEqual(path);
  });

  it.each<[string, (s: ReturnType<typeof makeExecutionState>) => unknown, Path]>([
    ['an unknown status', (s) => ({ ...s, status: 'paused' }), ['status']],
    ['a bad nested action state', (s) => ({ ...s, actionStates: { create_order: { ...s.actionStates['create_order']!, attempts: 'one' } } }), ['actionStates', 'create_order', 'attempts']],
    ['a confirmation without a datetime', (s) => ({ ...s, confirmations: [{ actionId: 'a', requestedAt: 'soon' }] }), ['confirmations', 0, 'requestedAt']],
    ['missing metrics', ({ metrics: _m, ...s }) => s, ['metrics']],
  ])('ExecutionState rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ExecutionStateSchema, mutate(makeExecutionState()))).toEqual(path);
  });
});

describe('the action.execute.requested payload', () => {
  it.each<[string, (r: ReturnType<typeof makeExecuteRequest>) => unknown, Path]>([
    ['an executionId that is not a UUID', (r) => ({ ...r, executionId: 'exec-1' }), ['executionId']],
    ['a non-string credential', (r) => ({ ...r, context: { ...r.context, credentials: { ORDERS_API_KEY: 123 } } }), ['context', 'credentials', 'ORDERS_API_KEY']],
    ['missing previousResults', (r) => ({ ...r, context: { credentials: {} } }), ['context', 'previousResults']],
    ['a previous result that is an object instead of JSON text', (r) => ({ ...r, context: { ...r.context, previousResults: { get_user: { id: 'u' } } } }), ['context', 'previousResults', 'get_user']],
    ['a bad nested action', (r) => ({ ...r, action: { ...r.action, actionDefinitionId: 7 } }), ['action', 'actionDefinitionId']],
  ])('rejects %s, naming the field', (_what, mutate, path) => {
    expect(firstIssuePath(ActionExecuteRequestSchema, mutate(makeExecuteRequest()))).toEqual(path);
  });

  it('factories return fresh objects, so one test cannot leak into another', () => {
    const first = makeExecuteRequest();
    first.context.credentials['ORDERS_API_KEY'] = 'changed';
    expect(makeExecuteRequest().context.credentials['ORDERS_API_KEY']).not.toBe('changed');
    expect(makeExecuteRequest().executionId).toBe(EXECUTION_ID);
  });
});
