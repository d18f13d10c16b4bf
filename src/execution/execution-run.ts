/**
 * One execution's effects: what the driver does for each state of the machine, against the journal,
 * the network and storage. Each effect answers with a {@link Step}: either the domain event at once
 * (pure work: resolving, validating, classifying), or writes to commit first and an `act` to run once
 * they are durable (the side effects: sending a request, waiting, storing). Holds the in-memory pieces
 * that must never be persisted (credential values, the authenticator and its tokens) and recomputes
 * everything else from the journaled request.
 */
import { actionError, isActionError } from '../failure/errors.ts';
import type { ExecutionEvent } from '../../machines/action-execution.ts';
import type { ErrorDetail } from '../schemas/errors.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiCatalogEntry } from '../schemas/catalog.ts';
import type { HttpTraceEntry } from '../schemas/execution-state.ts';
import type { AttemptOutcome, PreparedRequest, ResponseOutcome } from '../http/http-types.ts';
import { createRedactor, type Redactor } from '../redaction/redaction.ts';
import type { StoredRequest } from './request-identity.ts';
import type { AttemptRecord, ExecutionKey, JournalWrite } from '../../storage/journal.ts';
import { resolveCondition, resolveInputs } from '../references/references.ts';
import { compileDefinitionSchemas, validateInputs, validateOutput } from '../validation/validation.ts';
import { buildRequest } from '../http/request-builder.ts';
import { sendAttempt } from '../http/http.ts';
import { classifyOutcome } from '../failure/classification.ts';
import { decideRetry, IDEMPOTENT_METHODS } from '../failure/retry-decision.ts';
import { createAuthenticator, type Authenticator } from '../auth/auth.ts';
import { needsHealthProbe, probeHealth } from '../catalog/catalog-integration.ts';
import { outputFromBody } from '../http/body/body-output.ts';
import { storageIdFor } from './storage-ids.ts';
import { redactingSink } from '../redaction/redacting-sink.ts';
import { bodyItemOf, storedBodyMetadata, storedBodyOutput, storedSuccessEvent, type StoredBodyInput } from './stored-body-output.ts';
import { inDoubtOutcome, withRedactedBytes } from './attempt-outcomes.ts';
import { AttemptMemory } from './attempt-memory.ts';
import { takeClientToken } from './client-rate-limit.ts';
import type { RunDependencies, Settled, Step, StepFacts } from './step.ts';

export class ExecutionRun {
  readonly key: ExecutionKey;
  readonly redactor: Redactor;
  /** The machine state the run is in (for log lines). */
  state = 'resolving';
  attempt = 0;
  private resolved: Record<string, unknown> | undefined;
  private prepared: PreparedRequest | undefined;
  private entry: ApiCatalogEntry | null = null;
  private catalogNote: string | undefined;
  private authenticator: Authenticator | undefined;
  private readonly refreshedAttempts = new Set<number>();
  /** The intents this run wrote and the outcomes it staged, until the journal shows them. */
  private readonly memory = new AttemptMemory();
  /** What `store` adds to a stored body's location metadata (fields left out of the output), by attempt. */
  private readonly storedMetadata = new Map<number, Record<string, string>>();

  /**
   * `fresh`: this run created the execution, so every attempt it has is one this run made — the
   * journal need not be asked about earlier ones (the lease keeps anyone else from adding any).
   */
  constructor(
    private readonly deps: RunDependencies,
    readonly stored: StoredRequest,
    readonly definition: ActionDefinition | undefined,
    private readonly credentials: Record<string, string>,
    private readonly fresh = false,
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

  async resolve(): Promise<Step> {
    const definition = this.requireDefinition();
    compileDefinitionSchemas(definition);
    const condition = this.stored.action.condition;
    if (condition && !resolveCondition(condition.if, this.context)) {
      if (condition.else === 'skip') {
        return { event: { type: 'SKIPPED', reason: `Condition ${condition.if} is false, and the action says else: "skip".` } };
      }
      throw actionError('validation_failed', `Condition ${condition.if} is false, and the action says else: "fail".`, {
        code: 'CONDITION_FAILED',
        context: { condition: condition.if },
      });
    }
    this.resolved = resolveInputs(this.stored.action.inputs, this.context);
    return { event: { type: 'RESOLVED' } };
  }

  // ---- validating ------------------------------------------------------------------------------

  /** Validates inputs, builds the request, consults the catalog and prepares authentication. */
  async validate(): Promise<Step> {
    await this.prepare();
    return { event: { type: 'VALIDATED' } };
  }

  private async prepare(): Promise<PreparedRequest> {
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
      ...(this.deps.network ? { fetch: this.deps.network.fetch } : {}),
      // Fetched tokens and handler-made header values are redacted from the moment they exist.
      onSecret: (secret) => this.redactor.addSecret(secret),
    });
    for (const secret of this.authenticator.secrets()) this.redactor.addSecret(secret);
    this.prepared = prepared;
    return prepared;
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

  /**
   * The attempt `attempt`: a recorded outcome is fed back without sending; an in-flight one (sent, no
   * outcome: the process died) is re-sent only when repeating is safe, else it ends OUTCOME_UNKNOWN;
   * otherwise a rate-limit token is taken and the intent is returned as the write to commit first.
   */
  async request(attempt: number, authRefreshed: boolean): Promise<Step> {
    const prepared = await this.prepare();
    const definition = this.requireDefinition();
    const { journal, clock } = this.deps;
    this.attempt = attempt;
    const existing = this.fresh ? undefined : await journal.getAttempt(this.key, attempt);
    if (existing && existing.state !== 'in_flight') {
      this.log('info', `attempt ${attempt} already has a recorded outcome; not sending it again`);
      return { event: { type: 'SENT', attempt } };
    }
    if (existing && !this.isSafeToRepeat(prepared)) {
      const request = existing.request as HttpTraceEntry['request'];
      const outcome = inDoubtOutcome(request, new Date(existing.startedAt).toISOString(), prepared.method);
      this.memory.outcome(attempt, outcome);
      this.log('error', `attempt ${attempt} is in doubt and not safe to repeat: ending OUTCOME_UNKNOWN`);
      return { writes: [{ type: 'finishAttempt', attempt, state: 'failed', outcome }], event: { type: 'SENT', attempt } };
    }
    if (existing) {
      this.log('warn', `attempt ${attempt} is in doubt; re-sending it because repeating is safe (${prepared.idempotencyKey ? 'idempotency key' : `idempotent ${prepared.method}`})`);
    } else {
      const throttled = await takeClientToken(journal, definition, prepared, this.credentials, clock.now());
      if (throttled) {
        this.log('info', throttled.event.type === 'THROTTLED' ? throttled.event.reason : 'throttled');
        return throttled;
      }
    }

    const authenticator = this.authenticator;
    if (authenticator && authRefreshed && !this.refreshedAttempts.has(attempt)) {
      this.refreshedAttempts.add(attempt);
      this.log('info', 'refreshing the expired credential once and repeating the request');
      await authenticator.refresh();
      for (const secret of authenticator.secrets()) this.redactor.addSecret(secret);
    }
    const intent: JournalWrite[] = [];
    if (!existing) {
      const request = this.requestRecord(prepared);
      this.memory.intent(attempt, request, clock.now());
      intent.push({ type: 'beginAttempt', attempt, idempotencyKey: prepared.idempotencyKey ?? null, request });
    }
    return { writes: intent, act: (signal) => this.send(prepared, attempt, signal) };
  }

  /** Sends the attempt whose intent is durable, and returns its (redacted) outcome as the write to make. */
  private async send(prepared: PreparedRequest, attempt: number, signal: AbortSignal): Promise<Settled> {
    const definition = this.requireDefinition();
    const { clock } = this.deps;
    const authenticator = this.authenticator;
    const body = bodyItemOf(this.key, attempt);
    const outcome = await sendAttempt(prepared, {
      timeoutMs: definition.endpoint.timeout,
      ...(authenticator ? { auth: authenticator.hook, authHeaderNames: authenticator.headerNames() } : {}),
      redactor: this.redactor,
      ...(this.entry ? { quirks: this.entry.quirks } : {}),
      sink: redactingSink(this.deps.storage.bodySink(body.collection, body.id), this.redactor),
      inlineLimit: this.deps.inlineBodyLimit,
      signal,
      now: () => clock.now(),
      ...(this.deps.network ? { dispatcher: this.deps.network.dispatcher } : {}),
    });
    if (authenticator) for (const secret of authenticator.secrets()) this.redactor.addSecret(secret);
    const recorded = this.redactor.json(withRedactedBytes(outcome, this.redactor));
    this.memory.outcome(attempt, recorded);
    this.log(
      outcome.kind === 'response' ? 'info' : 'warn',
      outcome.kind === 'response'
        ? `attempt ${attempt}: ${prepared.method} → ${outcome.status} in ${outcome.durationMs} ms`
        : `attempt ${attempt}: ${prepared.method} failed: ${outcome.error.message}`,
      { durationMs: outcome.durationMs },
    );
    return {
      writes: [{ type: 'finishAttempt', attempt, state: outcome.kind === 'response' ? 'responded' : 'failed', outcome: recorded }],
      event: { type: 'SENT', attempt },
    };
  }

  /** The request the next attempt would send, as the journal records it (redacted); for replay's comparison. */
  async requestPreview(): Promise<HttpTraceEntry['request']> {
    return this.requestRecord(await this.prepare());
  }

  /** The attempt as the journal will hold it once the pending commit lands (for progress output). */
  attemptRecord(attempt: number): Pick<AttemptRecord, 'attempt' | 'request' | 'outcome'> | undefined {
    const outcome = this.memory.outcomeOf(attempt);
    const request = this.memory.requestOf(attempt) ?? (this.prepared ? this.requestRecord(this.prepared) : undefined);
    return outcome && request ? { attempt, request, outcome } : undefined;
  }

  /** The httpTrace from memory when this run made every attempt (`fresh`); undefined otherwise. */
  traces(): HttpTraceEntry[] | undefined {
    return this.fresh ? this.memory.traces() : undefined;
  }

  // ---- classifying -----------------------------------------------------------------------------

  private async recordedOutcome(attempt: number): Promise<AttemptOutcome> {
    const known = this.memory.outcomeOf(attempt);
    if (known) return known;
    const record = await this.deps.journal.getAttempt(this.key, attempt);
    if (!record?.outcome) {
      throw actionError('state_inconsistent', `Attempt ${attempt} has no recorded outcome to classify.`, {
        code: 'MISSING_OUTCOME',
        context: { attempt: String(attempt) },
      });
    }
    return record.outcome as AttemptOutcome;
  }

  /**
   * Classifies the recorded outcome of `attempt` and decides: store, refresh the credential once, back
   * off, or fail. Settles at once, except a final failure whose catalog entry has a health check: the
   * probe is a network call, so the outcome is committed before it runs.
   */
  async classify(attempt: number, authRefreshed: boolean): Promise<Step> {
    const prepared = await this.prepare();
    const definition = this.requireDefinition();
    const outcome = await this.recordedOutcome(attempt);
    this.attempt = attempt;
    if (outcome.kind === 'network_error' && outcome.error.code === 'OUTCOME_UNKNOWN') {
      return { event: { type: 'FAILED', error: outcome.error } };
    }
    const now = this.deps.clock.now();
    const draws: number[] = [];
    const random = (): number => {
      const value = this.deps.random();
      draws.push(value);
      return value;
    };
    const facts = (): StepFacts => (draws.length > 0 ? { now, random: draws } : { now });
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
      if (outcome.body.location && outcome.body.kind === 'json') return { event: await this.succeedStored(attempt, outcome, definition), facts: facts() };
      try {
        if (outcome.body.kind === 'json') validateOutput(definition, outcome.body.json);
        else if (outcome.body.kind !== 'binary' && Object.keys(definition.outputSchema).length > 0) {
          validateOutput(definition, outcome.body.kind === 'empty' ? {} : outcome.body.text ?? '');
        }
      } catch (error) {
        if (isActionError(error)) return { event: { type: 'FAILED', error: this.withCatalogNote({ ...error.detail, statusCode: outcome.status }) }, facts: facts() };
        throw error;
      }
      return { event: { type: 'SUCCEEDED', output: outputFromBody(outcome.body) }, facts: facts() };
    }
    if (classification.error.category === 'auth_expired' && this.authenticator?.refreshable && !authRefreshed) {
      return {
        event: { type: 'REFRESH_AUTH', reason: `HTTP ${classification.error.statusCode ?? ''} with a refreshable credential: refreshing it once and repeating the request` },
        facts: facts(),
      };
    }
    const decision = decideRetry({
      classification,
      attempt,
      policy: definition.retryPolicy,
      method: prepared.method,
      idempotencyKeySent: prepared.idempotencyKey !== undefined,
      random,
      now,
    });
    if (decision.retry) {
      this.log('info', `retrying: ${decision.reason}`, { delayMs: decision.delayMs });
      return { event: { type: 'RETRY', until: now + decision.delayMs, delayMs: decision.delayMs, reason: decision.reason }, facts: facts() };
    }
    const error = decision.error;
    const entry = this.entry;
    const failed = (detail: ErrorDetail): Settled => {
      this.log('error', `failed: ${detail.message}`, { category: detail.category, code: detail.code });
      return { event: { type: 'FAILED', error: this.redactor.json(detail) }, facts: facts() };
    };
    if (!entry?.healthCheck || !needsHealthProbe(error)) return failed(error);
    return {
      act: async () => {
        const health = await probeHealth(entry, { now: () => this.deps.clock.now(), ...(this.deps.network ? { fetch: this.deps.network.fetch } : {}) });
        return failed({ ...error, context: { ...error.context, ...health } });
      },
    };
  }

  /** What reading a stored body back needs from this run. */
  private storedInput(attempt: number, outcome: ResponseOutcome, definition: ActionDefinition): StoredBodyInput {
    const { storage, inlineBodyLimit, maxMappedBodyBytes } = this.deps;
    return { storage, key: this.key, attempt, outcome, definition, quirks: this.entry?.quirks, maxRecordBytes: inlineBodyLimit, maxBodyBytes: maxMappedBodyBytes, redact: (text) => this.redactor.text(text) };
  }

  /** A JSON success whose body streamed to storage (stored-body-output.ts). */
  private async succeedStored(attempt: number, outcome: ResponseOutcome, definition: ActionDefinition): Promise<ExecutionEvent> {
    const { event, metadata } = await storedSuccessEvent(this.storedInput(attempt, outcome, definition), {
      log: (level, message, fields) => this.log(level, message, fields),
      finishError: (error) => this.withCatalogNote(this.redactor.json(error)),
    });
    this.storedMetadata.set(attempt, metadata);
    return event;
  }

  /** Output-validation failures are built here, not by classification: give them the catalog note too. */
  private withCatalogNote<T extends { context: Record<string, string> }>(error: T): T {
    return this.catalogNote ? { ...error, context: { ...error.context, catalogUnavailable: this.catalogNote } } : error;
  }

  // ---- backingOff ------------------------------------------------------------------------------

  /**
   * Waits until `until`, but never longer than `delayMs` from now: after a crash and a clock stepped
   * back, the journaled deadline could otherwise lie far in the future.
   */
  wait(until: number, delayMs: number, reason: string): Step {
    return {
      act: async (signal) => {
        const now = this.deps.clock.now();
        const deadline = Math.min(until, now + delayMs);
        if (deadline > now) this.log('info', `backing off ${deadline - now} ms: ${reason}`, { until: new Date(deadline).toISOString() });
        await this.deps.clock.sleepUntil(deadline, signal);
        return { event: { type: 'WAITED' } };
      },
    };
  }

  // ---- storing ---------------------------------------------------------------------------------

  /** What classification noted about a stored body's output; read back again after a resume into storing. */
  private async metadataOf(attempt: number, outcome: ResponseOutcome): Promise<Record<string, string>> {
    const known = this.storedMetadata.get(attempt);
    if (known) return known;
    const definition = this.definition;
    if (outcome.body.kind !== 'json' || !definition) return {};
    await this.prepare(); // the catalog entry's quirks decide how the body is read
    const input = this.storedInput(attempt, outcome, definition);
    return storedBodyMetadata(await storedBodyOutput(input), input);
  }

  /** Saves the output (idempotent: same id, same bytes); a body already streamed to storage is the output. */
  store(attempt: number, output: Record<string, string>): Step {
    return {
      act: async () => {
        const outcome = await this.recordedOutcome(attempt);
        if (outcome.kind === 'response' && outcome.body.location) {
          const notes = await this.metadataOf(attempt, outcome);
          const location = outcome.body.location;
          // The output location says what it holds that the journaled output does not.
          return { event: { type: 'STORED', location: Object.keys(notes).length === 0 ? location : { ...location, metadata: { ...location.metadata, ...notes } } } };
        }
        const location = await this.deps.storage.save('outputs', storageIdFor(this.key, 'output.json'), Buffer.from(JSON.stringify(output)), {
          contentType: 'application/json',
          metadata: { executionId: this.key.executionId, actionId: this.key.actionId, attempt: String(attempt) },
          // outputLocation in the journal records size, SHA-256, content type and metadata.
          sidecar: false,
        });
        return { event: { type: 'STORED', location } };
      },
    };
  }
}
