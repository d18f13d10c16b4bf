/**
 * One execution's effects: what each named actor of the machine does, against the journal, the
 * network and storage. Holds the in-memory pieces that must never be persisted (credential values,
 * the authenticator and its tokens) and recomputes everything else from the journaled request.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { actionError, errorDetail, isActionError } from '../failure/action-error.ts';
import type { ClassifyOutput, RequestOutput, ResolveOutput, StoreOutput } from '../../machines/action-execution.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiCatalogEntry } from '../schemas/catalog.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';
import type { AttemptOutcome, PreparedRequest } from '../http/http-types.ts';
import type { Clock } from '../support/clock.ts';
import { createRedactor, type Redactor } from '../redaction/redaction.ts';
import type { StoredRequest } from './request-identity.ts';
import type { Journal, ExecutionKey } from '../../storage/sqlite/sqlite-journal.ts';
import type { LocalStorageProvider } from '../../storage/local-storage-provider.ts';
import { resolveCondition, resolveInputs } from '../references/references.ts';
import { compileDefinitionSchemas, validateInputs, validateOutput } from '../validation/validation.ts';
import { buildRequest } from '../http/request-builder.ts';
import { sendAttempt } from '../http/http.ts';
import { classifyOutcome } from '../failure/classification.ts';
import { decideRetry } from '../failure/retry-decision.ts';
import { createAuthenticator, type Authenticator, type CustomAuthHandler, type TokenCache } from '../auth/auth.ts';
import { needsHealthProbe, probeHealth, type CatalogMatch } from '../catalog/catalog-integration.ts';
import { outputFromBody } from '../http/body/body-output.ts';
import { storageIdFor } from './storage-ids.ts';
import { redactingSink } from '../redaction/redacting-sink.ts';

/** Methods whose repetition has no additional effect (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Everything a run needs from its executor. */
export interface RunDependencies {
  journal: Journal;
  storage: LocalStorageProvider;
  catalog: { match(url: string): Promise<CatalogMatch> };
  clock: Clock;
  random: () => number;
  logger: Logger;
  customAuth: Record<string, CustomAuthHandler>;
  tokenCache: TokenCache;
  /** Bytes of a response body kept in memory (and in the journal) before it streams to storage. */
  inlineBodyLimit: number;
  /** Test-only fault injection: called with a named point right after it is journaled. */
  faultHook?: ((point: string) => void) | undefined;
}

/** What the journal stores for an attempt whose request left but whose outcome never arrived. */
function inDoubtOutcome(request: HttpTraceEntry['request'], timestamp: string, method: string): AttemptOutcome {
  const error = errorDetail(
    'state_inconsistent',
    `${method} ${request.url}: the process stopped after sending this request and before its response was recorded, so whether it took effect is unknown. It was not sent again because repeating a ${method} without an idempotency key could apply it twice.`,
    {
      code: 'OUTCOME_UNKNOWN',
      context: { method, url: request.url },
      suggestion:
        'Check with the API whether the request took effect before retrying it. To make such requests safe to repeat automatically, declare an idempotency-key header in the definition, e.g. "Idempotency-Key": "{idempotencyKey}".',
    },
  );
  return {
    kind: 'network_error',
    error,
    reachedServer: 'maybe',
    phase: 'request',
    durationMs: 0,
    trace: { timestamp, request, error },
  };
}

/**
 * An outcome whose inline raw bytes (base64 of a binary or undecodable body) have secrets redacted —
 * text redaction cannot see inside base64. A body streamed to storage was redacted on its way there,
 * so its size and SHA-256 are the stored file's.
 */
function withRedactedBytes(outcome: AttemptOutcome, redactor: Redactor): AttemptOutcome {
  if (outcome.kind !== 'response') return outcome;
  const { body } = outcome;
  if (body.location) return { ...outcome, body: { ...body, size: body.location.size, sha256: body.location.checksum } };
  if (body.base64 === undefined || redactor.size === 0) return outcome;
  return { ...outcome, body: { ...body, base64: redactor.bytes(Buffer.from(body.base64, 'base64')).toString('base64') } };
}

export class ExecutionRun {
  readonly key: ExecutionKey;
  readonly redactor: Redactor;
  /** The machine state the run is in (for log lines). */
  state = 'resolving';
  attempt = 0;
  /** Set when an effect failed because of the executor's own infrastructure (see infrastructure-error.ts). */
  infrastructureFailure: Error | undefined;
  private resolved: Record<string, unknown> | undefined;
  private prepared: PreparedRequest | undefined;
  private entry: ApiCatalogEntry | null = null;
  private catalogNote: string | undefined;
  private authenticator: Authenticator | undefined;
  private readonly refreshedAttempts = new Set<number>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: RunDependencies,
    readonly stored: StoredRequest,
    readonly definition: ActionDefinition | undefined,
    private readonly credentials: Record<string, string>,
  ) {
    this.key = { executionId: stored.executionId, actionId: stored.action.id };
    this.redactor = createRedactor(Object.values(credentials));
  }

  /** A log line with the identity, attempt and state on it, redacted. */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    // Redacting costs more than the line: skip both when the level is off.
    if (!this.deps.logger.isLevelEnabled(level)) return;
    this.deps.logger[level](
      this.redactor.json({ ...this.key, attempt: this.attempt, state: this.state, ...fields }),
      this.redactor.text(message),
    );
  }

  /** Effects still finishing after the machine moved on (an aborted request recording its outcome). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private get context() {
    return { previousResults: this.stored.context.previousResults, credentials: this.credentials };
  }

  private requireDefinition(): ActionDefinition {
    if (this.definition) return this.definition;
    throw actionError(
      'validation_failed',
      `Action "${this.key.actionId}" refers to the definition "${this.stored.action.actionDefinitionId}", which is not registered.`,
      {
        code: 'UNKNOWN_DEFINITION',
        context: { actionDefinitionId: this.stored.action.actionDefinitionId },
        suggestion: 'Add the definition to the definitions directory (or registry) the executor loads, or fix actionDefinitionId.',
      },
    );
  }

  // ---- resolving -------------------------------------------------------------------------------

  async resolve(): Promise<ResolveOutput> {
    const definition = this.requireDefinition();
    compileDefinitionSchemas(definition);
    const condition = this.stored.action.condition;
    if (condition && !resolveCondition(condition.if, this.context)) {
      if (condition.else === 'skip') {
        return { kind: 'skip', reason: `Condition ${condition.if} is false, and the action says else: "skip".` };
      }
      throw actionError('validation_failed', `Condition ${condition.if} is false, and the action says else: "fail".`, {
        code: 'CONDITION_FAILED',
        context: { condition: condition.if },
      });
    }
    this.resolved = resolveInputs(this.stored.action.inputs, this.context);
    return { kind: 'execute' };
  }

  // ---- validating ------------------------------------------------------------------------------

  /** Validates inputs, builds the request, consults the catalog and prepares authentication. */
  async prepare(): Promise<PreparedRequest> {
    if (this.prepared) return this.prepared;
    const definition = this.requireDefinition();
    this.resolved ??= resolveInputs(this.stored.action.inputs, this.context);
    const inputs = validateInputs(definition, this.resolved);
    const buildOptions = { executionId: this.key.executionId, actionId: this.key.actionId, credentials: this.credentials };
    let prepared = buildRequest(definition, inputs, buildOptions);
    const match = await this.deps.catalog.match(prepared.url);
    this.entry = match.entry;
    this.catalogNote = match.unavailable;
    if (match.unavailable) this.log('warn', `API catalog unavailable, standard handling applies: ${match.unavailable}`);
    const userAgent = match.entry?.quirks.requiresUserAgent;
    if (userAgent) prepared = buildRequest(definition, inputs, { ...buildOptions, userAgent });
    this.authenticator = createAuthenticator(definition.authentication, {
      credentials: this.credentials,
      customHandlers: this.deps.customAuth,
      tokenCache: this.deps.tokenCache,
      now: () => this.deps.clock.now(),
      // Fetched tokens and handler-made header values are redacted from the moment they exist.
      onSecret: (secret) => this.redactor.addSecret(secret),
    });
    for (const secret of this.authenticator.secrets()) this.redactor.addSecret(secret);
    this.prepared = prepared;
    return prepared;
  }

  /**
   * Who the request acts as, for `per_user` rate limits: a short hash of the credential values (the
   * credentials are the user's identity towards the API; the values themselves are never stored).
   */
  private userFingerprint(): string {
    const values = Object.keys(this.credentials).sort().map((name) => `${name}=${this.credentials[name] ?? ''}`);
    return values.length === 0 ? 'anonymous' : `user-${createHash('sha256').update(values.join('\n')).digest('hex').slice(0, 16)}`;
  }

  private isSafeToRepeat(prepared: PreparedRequest): boolean {
    return IDEMPOTENT_METHODS.has(prepared.method) || prepared.idempotencyKey !== undefined;
  }

  private requestRecord(prepared: PreparedRequest): HttpTraceEntry['request'] {
    const headers = this.redactor.headers(prepared.headers, this.authenticator?.headerNames() ?? []);
    const record: HttpTraceEntry['request'] = { method: prepared.method, url: this.redactor.text(prepared.url), headers };
    if (prepared.body !== undefined) record.body = this.redactor.text(JSON.stringify(this.redactor.json(JSON.parse(prepared.body))));
    return record;
  }

  // ---- requesting ------------------------------------------------------------------------------

  async request(attempt: number, authRefreshed: boolean, signal: AbortSignal): Promise<RequestOutput> {
    const task = this.runRequest(attempt, authRefreshed, signal);
    this.pending.add(task);
    try {
      return await task;
    } finally {
      this.pending.delete(task);
    }
  }

  private async runRequest(attempt: number, authRefreshed: boolean, signal: AbortSignal): Promise<RequestOutput> {
    const prepared = await this.prepare();
    const definition = this.requireDefinition();
    const { journal, clock } = this.deps;
    this.attempt = attempt;
    const existing = journal.getAttempt(this.key, attempt);
    if (existing && existing.state !== 'in_flight') {
      this.log('info', `attempt ${attempt} already has a recorded outcome; not sending it again`);
      return { kind: 'sent', attempt };
    }
    if (existing) {
      if (!this.isSafeToRepeat(prepared)) {
        const request = existing.request as HttpTraceEntry['request'];
        const outcome = inDoubtOutcome(request, new Date(existing.startedAt).toISOString(), prepared.method);
        journal.finishAttempt(this.key, attempt, { state: 'failed', outcome, now: clock.now() });
        this.log('error', `attempt ${attempt} is in doubt and not safe to repeat: ending OUTCOME_UNKNOWN`);
        return { kind: 'sent', attempt };
      }
      this.log('warn', `attempt ${attempt} is in doubt; re-sending it because repeating is safe (${prepared.idempotencyKey ? 'idempotency key' : `idempotent ${prepared.method}`})`);
    } else if (definition.rateLimit) {
      const limit = definition.rateLimit;
      const bucket = `${definition.id}:${limit.scope === 'per_ip' ? new URL(prepared.url).host : limit.scope === 'per_user' ? this.userFingerprint() : 'global'}`;
      const now = clock.now();
      const token = journal.takeRateToken(bucket, limit.requests, limit.window, now);
      if (!token.granted) {
        const reason = `client-side rate limit of ${definition.id} (${limit.requests} requests per ${limit.window} ms, ${limit.scope}) reached; waiting ${token.waitMs} ms`;
        this.log('info', reason);
        return { kind: 'throttled', until: now + token.waitMs, reason };
      }
    }

    const authenticator = this.authenticator;
    if (authenticator && authRefreshed && !this.refreshedAttempts.has(attempt)) {
      this.refreshedAttempts.add(attempt);
      this.log('info', 'refreshing the expired credential once and repeating the request');
      await authenticator.refresh();
      for (const secret of authenticator.secrets()) this.redactor.addSecret(secret);
    }

    if (!existing) {
      journal.beginAttempt(this.key, {
        attempt,
        idempotencyKey: prepared.idempotencyKey ?? null,
        request: this.requestRecord(prepared),
        now: clock.now(),
      });
      this.deps.faultHook?.('attempt:begun');
    }
    const bodyId = storageIdFor(this.key, `attempt-${attempt}.body`);
    const outcome = await sendAttempt(prepared, {
      timeoutMs: definition.endpoint.timeout,
      ...(authenticator ? { auth: authenticator.hook, authHeaderNames: authenticator.headerNames() } : {}),
      redactor: this.redactor,
      ...(this.entry ? { quirks: this.entry.quirks } : {}),
      sink: redactingSink(this.deps.storage.bodySink('bodies', bodyId), this.redactor),
      inlineLimit: this.deps.inlineBodyLimit,
      signal,
      now: () => clock.now(),
    });
    if (authenticator) for (const secret of authenticator.secrets()) this.redactor.addSecret(secret);
    const recorded = this.redactor.json(withRedactedBytes(outcome, this.redactor));
    journal.finishAttempt(this.key, attempt, {
      state: outcome.kind === 'response' ? 'responded' : 'failed',
      outcome: recorded,
      now: clock.now(),
    });
    this.log(
      outcome.kind === 'response' ? 'info' : 'warn',
      outcome.kind === 'response'
        ? `attempt ${attempt}: ${prepared.method} → ${outcome.status} in ${outcome.durationMs} ms`
        : `attempt ${attempt}: ${prepared.method} failed: ${outcome.error.message}`,
      { durationMs: outcome.durationMs },
    );
    this.deps.faultHook?.('attempt:finished');
    return { kind: 'sent', attempt };
  }

  // ---- classifying -----------------------------------------------------------------------------

  private recordedOutcome(attempt: number): AttemptOutcome {
    const record = this.deps.journal.getAttempt(this.key, attempt);
    if (!record?.outcome) {
      throw actionError('state_inconsistent', `Attempt ${attempt} has no recorded outcome to classify.`, {
        code: 'MISSING_OUTCOME',
        context: { attempt: String(attempt) },
      });
    }
    return record.outcome as AttemptOutcome;
  }

  async classify(attempt: number, authRefreshed: boolean): Promise<ClassifyOutput> {
    const prepared = await this.prepare();
    const definition = this.requireDefinition();
    const outcome = this.recordedOutcome(attempt);
    this.attempt = attempt;
    if (outcome.kind === 'network_error' && outcome.error.code === 'OUTCOME_UNKNOWN') {
      return { kind: 'fail', error: outcome.error };
    }
    const now = this.deps.clock.now();
    const classification = classifyOutcome(outcome, {
      definition,
      entry: this.entry,
      method: prepared.method,
      refreshableAuth: this.authenticator?.refreshable ?? false,
      idempotencyKeySent: prepared.idempotencyKey !== undefined,
      now,
      redactor: this.redactor,
      ...(this.catalogNote ? { catalogUnavailable: this.catalogNote } : {}),
    });
    if (classification.ok) {
      if (outcome.kind !== 'response') throw new Error('a network error cannot classify as success');
      try {
        if (outcome.body.kind === 'json') validateOutput(definition, outcome.body.json);
        else if (outcome.body.kind !== 'binary' && Object.keys(definition.outputSchema).length > 0) {
          validateOutput(definition, outcome.body.kind === 'empty' ? {} : outcome.body.text ?? '');
        }
      } catch (error) {
        if (isActionError(error)) return { kind: 'fail', error: this.withCatalogNote({ ...error.detail, statusCode: outcome.status }) };
        throw error;
      }
      return { kind: 'success', output: outputFromBody(outcome.body) };
    }
    if (classification.error.category === 'auth_expired' && this.authenticator?.refreshable && !authRefreshed) {
      return { kind: 'refresh_auth', reason: `HTTP ${classification.error.statusCode ?? ''} with a refreshable credential: refreshing it once and repeating the request` };
    }
    const decision = decideRetry({
      classification,
      attempt,
      policy: definition.retryPolicy,
      method: prepared.method,
      idempotencyKeySent: prepared.idempotencyKey !== undefined,
      random: this.deps.random,
      now,
    });
    if (decision.retry) {
      this.log('info', `retrying: ${decision.reason}`, { delayMs: decision.delayMs });
      return { kind: 'retry', until: now + decision.delayMs, reason: decision.reason };
    }
    let error = decision.error;
    if (this.entry?.healthCheck && needsHealthProbe(error)) {
      const health = await probeHealth(this.entry, { now: () => this.deps.clock.now() });
      error = { ...error, context: { ...error.context, ...health } };
    }
    this.log('error', `failed: ${error.message}`, { category: error.category, code: error.code });
    return { kind: 'fail', error: this.redactor.json(error) };
  }

  /** Output-validation failures are built here, not by classification: give them the catalog note too. */
  private withCatalogNote<T extends { context: Record<string, string> }>(error: T): T {
    return this.catalogNote ? { ...error, context: { ...error.context, catalogUnavailable: this.catalogNote } } : error;
  }

  // ---- backingOff ------------------------------------------------------------------------------

  async wait(until: number, reason: string, signal: AbortSignal): Promise<void> {
    const remaining = until - this.deps.clock.now();
    if (remaining > 0) this.log('info', `backing off ${remaining} ms: ${reason}`, { until: new Date(until).toISOString() });
    await this.deps.clock.sleepUntil(until, signal);
  }

  // ---- storing ---------------------------------------------------------------------------------

  async store(attempt: number, output: Record<string, string>): Promise<StoreOutput> {
    const outcome = this.recordedOutcome(attempt);
    if (outcome.kind === 'response' && outcome.body.location) return { location: outcome.body.location };
    const location = await this.deps.storage.save('outputs', storageIdFor(this.key, 'output.json'), Buffer.from(JSON.stringify(output)), {
      contentType: 'application/json',
      metadata: { executionId: this.key.executionId, actionId: this.key.actionId, attempt: String(attempt) },
    });
    return { location };
  }
}
