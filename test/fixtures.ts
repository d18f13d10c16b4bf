/**
 * Realistic, schema-valid fixtures shared by the test files. Every factory returns a fresh object
 * (mutate it freely) and shallow-merges `overrides` on top, unvalidated, so a test can also build
 * an invalid value: `makeActionDefinition({ version: '1.0' })`. For a nested change, spread the
 * default: `makeActionDefinition({ endpoint: { ...makeActionDefinition().endpoint, method: 'GET' } })`.
 *
 * The defaults describe one small story: `get_user` fetched a user, `create_order` posts an order
 * for them against an API with a catalog entry.
 */
import type { ActionDefinition } from '../src/schemas/action-definition.ts';
import type { ApiCatalogEntryInput } from '../src/schemas/catalog.ts';
import type { ErrorDetail } from '../src/schemas/errors.ts';
import type { ActionExecutionState, ExecutionState } from '../src/schemas/execution-state.ts';
import type { ActionId, ExecutionId } from '../src/schemas/ids.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';
import type { ExecutionPlan, PlannedAction } from '../src/schemas/plan.ts';
import type { RetryPolicy } from '../src/schemas/retry.ts';
import type { StorageLocation } from '../src/schemas/storage.ts';

/** A fixed v4 UUID for the execution (plan instance) the fixtures belong to. */
export const EXECUTION_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
/** A fixed v4 UUID for the plan. */
export const PLAN_ID = '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
/** A fixed v4 UUID for the user who created the plan. */
export const USER_ID = '0d7e5c4b-3a29-4f18-9e07-d6c5b4a39281';
/** A fixed instant for timestamps (the fixtures never read the clock). */
export const FIXED_TIME = '2025-03-14T09:26:53.589Z';

/** The output record `get_user` produced: top-level strings, nested values as JSON text. */
export function makeGetUserOutput(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    id: 'usr_8f2a',
    email: 'ada@example.com',
    active: 'true',
    age: '36',
    profile: JSON.stringify({ name: 'Ada Lovelace', address: { city: 'London', zip: 'W1' } }),
    users: JSON.stringify([
      { name: 'Ada', roles: ['admin', 'billing'] },
      { name: 'Grace', roles: ['viewer'] },
    ]),
    ...overrides,
  };
}

/** A `context` for the job payload: previous results as JSON text, plus one credential. */
export function makeReferenceContext(overrides: Partial<ActionExecuteRequest['context']> = {}): ActionExecuteRequest['context'] {
  return {
    previousResults: { get_user: JSON.stringify(makeGetUserOutput()) },
    credentials: { ORDERS_API_KEY: 'sk_test_51HxYzFixtureKey' },
    ...overrides,
  };
}

/** A retry policy as a typical definition declares it. */
export function makeRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 3,
    initialDelay: 200,
    maxDelay: 5_000,
    backoffMultiplier: 2,
    retryableErrors: ['network_timeout', 'network_connection_refused', 'rate_limit_burst', 'api_unexpected_status'],
    jitter: true,
    ...overrides,
  };
}

/** `create_order`: a POST with an idempotency key, api_key auth from a credential, input/output schemas. */
export function makeActionDefinition(overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return {
    id: 'create_order',
    name: 'Create order',
    description: 'Creates an order for a customer and returns its id and status.',
    version: '1.2.0',
    endpoint: {
      url: 'https://api.example.com/v1/customers/{customerId}/orders',
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': '{idempotencyKey}' },
      timeout: 10_000,
    },
    authentication: { type: 'api_key', header: 'X-Api-Key', value: '${credentials.ORDERS_API_KEY}', valueFrom: 'user_input' },
    inputSchema: { customerId: 'string', amount: 'integer', currency: 'string', note: 'string?' },
    outputSchema: { orderId: 'string', status: 'string', 'links.self': 'string:uri' },
    retryPolicy: makeRetryPolicy(),
    knownErrors: [
      { pattern: 'card_declined', category: 'validation_failed', suggestion: 'Ask the customer for another payment method.' },
    ],
    rateLimit: { requests: 100, window: 60_000, scope: 'global' },
    examples: [
      {
        name: 'small order',
        input: { customerId: 'cus_42', amount: '1999', currency: 'EUR' },
        output: { orderId: 'ord_1', status: 'pending' },
      },
    ],
    ...overrides,
  };
}

/** The planned `create_order` action, with inputs that reference `get_user`. */
export function makePlannedAction(overrides: Partial<PlannedAction> = {}): PlannedAction {
  return {
    id: 'create_order' as ActionId,
    actionDefinitionId: 'create_order',
    inputs: {
      customerId: '${get_user.output.id}',
      amount: 1999,
      currency: 'EUR',
      note: 'Order for ${get_user.output.profile.name}',
    },
    dependencies: ['get_user' as ActionId],
    condition: { if: '${get_user.output.active}', then: 'execute', else: 'skip' },
    errorHandling: { continueOnFailure: false, fallbackValue: { status: 'not_created' } },
    userConfirmation: { required: false, title: 'Create order', message: 'Charge the customer?', timeout: 60_000 },
    ...overrides,
  };
}

/** The `action.execute.requested` payload (spec §3.2) for the planned action above. */
export function makeExecuteRequest(overrides: Partial<ActionExecuteRequest> = {}): ActionExecuteRequest {
  return {
    executionId: EXECUTION_ID,
    action: makePlannedAction(),
    context: makeReferenceContext(),
    ...overrides,
  };
}

/** A catalog entry as a user writes it (quirk defaults not yet applied): a Stripe-like orders API. */
export function makeCatalogEntry(overrides: Partial<ApiCatalogEntryInput> = {}): ApiCatalogEntryInput {
  return {
    apiId: 'orders-api',
    name: 'Orders API',
    version: '2024-06-01',
    baseUrl: 'https://api.example.com/v1',
    errorMappings: [
      { status: 402, pattern: 'card_declined', category: 'validation_failed', retryable: false },
      { header: { name: 'X-Error-Code', pattern: '^lock_timeout$' }, category: 'api_unexpected_status', retryable: true, backoffStrategy: 'linear' },
    ],
    rateLimiting: {
      detection: { statusCodes: [429], headers: ['X-RateLimit-Remaining'], bodyPatterns: ['rate limit'] },
      extraction: { limitHeader: 'X-RateLimit-Limit', remainingHeader: 'X-RateLimit-Remaining', resetHeader: 'X-RateLimit-Reset', resetFormat: 'unix_seconds' },
      backoffStrategy: { type: 'respect_reset', initialDelay: 1_000, maxDelay: 60_000 },
    },
    quirks: { requiresUserAgent: 'action-executor-tests/1.0', maxResponseSize: 5_000_000 },
    healthCheck: { endpoint: '/health', expectedStatus: 200, timeout: 2_000 },
    notes: 'Returns 402 with a JSON body for declined cards.',
    ...overrides,
  };
}

/** A complete error detail: a rate limit with a retry time. */
export function makeErrorDetail(overrides: Partial<ErrorDetail> = {}): ErrorDetail {
  return {
    category: 'rate_limit_burst',
    message: 'POST https://api.example.com/v1/customers/cus_42/orders answered 429 Too Many Requests.',
    code: 'RATE_LIMITED',
    statusCode: 429,
    retryable: true,
    retryAfter: FIXED_TIME,
    context: { url: 'https://api.example.com/v1/customers/cus_42/orders', attempt: '2' },
    suggestion: 'Wait until retryAfter, or lower the request rate.',
    ...overrides,
  };
}

/** Where a stored result lives. */
export function makeStorageLocation(overrides: Partial<StorageLocation> = {}): StorageLocation {
  return {
    provider: 'local',
    path: '.action-executor/storage/results/3b241101-create_order.json',
    size: 512,
    checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    contentType: 'application/json',
    metadata: { actionId: 'create_order' },
    ...overrides,
  };
}

/** A completed action with one traced HTTP exchange. */
export function makeActionExecutionState(overrides: Partial<ActionExecutionState> = {}): ActionExecutionState {
  return {
    actionId: 'create_order',
    status: 'completed',
    startedAt: FIXED_TIME,
    completedAt: '2025-03-14T09:26:54.012Z',
    duration: 423,
    attempts: 1,
    result: { status: 'success', output: { orderId: 'ord_1', status: 'pending' }, outputLocation: makeStorageLocation() },
    httpTrace: [
      {
        timestamp: FIXED_TIME,
        request: {
          method: 'POST',
          url: 'https://api.example.com/v1/customers/usr_8f2a/orders',
          headers: { 'content-type': 'application/json', 'x-api-key': '[REDACTED]' },
          body: '{"amount":1999,"currency":"EUR"}',
        },
        response: { status: 201, headers: { 'content-type': 'application/json' }, body: '{"orderId":"ord_1","status":"pending"}', duration: 410 },
      },
    ],
    ...overrides,
  };
}

/** A plan of two actions: get_user, then create_order. */
export function makeExecutionPlan(overrides: Partial<ExecutionPlan> = {}): ExecutionPlan {
  return {
    id: PLAN_ID as ExecutionId,
    name: 'Order for a user',
    description: 'Looks the user up and creates an order for them.',
    intent: { original: 'order the usual for Ada', interpreted: 'Create an order for customer Ada', confidence: 0.92 },
    actions: [
      makePlannedAction({ id: 'get_user' as ActionId, actionDefinitionId: 'get_user', inputs: { userId: 'usr_8f2a' }, dependencies: [] }),
      makePlannedAction(),
    ],
    expectedOutcome: {
      description: 'An order exists for the user.',
      validations: [{ name: 'order created', reference: '${create_order.output.orderId}', operator: 'exists' }],
    },
    metadata: { createdAt: FIXED_TIME, estimatedDuration: 2_000, tags: ['orders'] },
    ...overrides,
  };
}

/** A running plan execution with one completed action. */
export function makeExecutionState(overrides: Partial<ExecutionState> = {}): ExecutionState {
  return {
    id: EXECUTION_ID,
    planId: PLAN_ID,
    status: 'running',
    startedAt: FIXED_TIME,
    actionStates: { create_order: makeActionExecutionState() },
    confirmations: [{ actionId: 'create_order', requestedAt: FIXED_TIME, respondedAt: FIXED_TIME, confirmed: true, userId: USER_ID }],
    metrics: { totalActions: 2, completedActions: 1, failedActions: 0, skippedActions: 0, totalDuration: 423 },
    ...overrides,
  };
}
