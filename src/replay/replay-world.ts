/**
 * The recorded world a replay runs the real effects in: the journal's rows in memory, a clock that
 * reads the recorded time of the step being replayed, a random source that returns the recorded
 * draws, in-memory storage, no network, and stand-ins for the credentials — the journal holds only
 * their names, and nothing is sent, so a placeholder serves wherever a value is needed (it is
 * redacted like a real one, so the redacted requests compare equal).
 */
import { ExecutionRun } from '../execution/execution-run.ts';
import { EXECUTOR_DEFAULTS } from '../execution/executor-api.ts';
import { createTokenCache, type CustomAuthHandler } from '../auth/auth.ts';
import { createCatalogLookup } from '../catalog/catalog-integration.ts';
import { ActionDefinitionSchema, type ActionDefinition } from '../schemas/action-definition.ts';
import type { ApiCatalog, ApiCatalogEntry } from '../schemas/catalog.ts';
import { silentLogger } from '../support/logger.ts';
import { formatZodIssues } from '../support/zod-issues.ts';
import { createRecordedJournal, type RecordedJournal } from './recorded-journal.ts';
import { createRecordedClock, type RecordedClock } from './recorded-clock.ts';
import { createRecordedRandom, type RecordedRandom } from './recorded-random.ts';
import { createReplayStorage, type ReplayStorage } from './replay-storage.ts';
import { createNoNetwork, type NoNetwork } from './no-network.ts';
import { ReplayInputError } from './replay-input-error.ts';
import type { Recording } from './recording.ts';

/** A replay logs nothing (it reports instead); one silent logger serves every replay. */
const SILENT = silentLogger();

/** What a replay may run with instead of the recorded world. */
export interface ReplayWorldOptions {
  /** A changed definition (a what-if). @default the definition journaled with the execution */
  definition?: ActionDefinition | undefined;
  /**
   * The catalog to classify with. The journal does not record the catalog an execution ran with, so
   * pass the same one for a faithful replay, another for a what-if. @default none
   */
  catalog?: ApiCatalog | undefined;
  /**
   * Credential values. Never needed — placeholders stand in for the names the request lists — but
   * when given they are used, and redacted from everything the replay reports. @default placeholders
   */
  credentials?: Record<string, string> | undefined;
  /** Custom auth handlers by name. @default a stand-in that adds no header (nothing is sent) */
  customAuth?: Record<string, CustomAuthHandler> | undefined;
}

/** The pieces of a recorded world, and the run whose effects use them. */
export interface ReplayWorld {
  journal: RecordedJournal;
  clock: RecordedClock;
  random: RecordedRandom;
  storage: ReplayStorage;
  network: NoNetwork;
  run: ExecutionRun;
  /** The catalog entry the request matched (null when none), once validating has looked it up. */
  catalogEntry(): ApiCatalogEntry | null;
}

/** The value standing in for a credential the journal names but never holds. */
export function placeholderCredential(name: string): string {
  return `replay-placeholder-${name}`;
}

/** The definition the execution was journaled with, or a ReplayInputError saying why it cannot be used. */
export function recordedDefinition(recording: Recording): ActionDefinition | undefined {
  if (recording.definition === null || recording.definition === undefined) return undefined;
  const parsed = ActionDefinitionSchema.safeParse(recording.definition);
  if (parsed.success) return parsed.data;
  throw new ReplayInputError(
    `the definition journaled with ${recording.executionId} / ${recording.actionId} (${recording.definitionId}) no longer parses:\n${formatZodIssues(parsed.error.issues)}\nPass --definitions <dir> to replay it with a current definition.`,
  );
}

/** Handlers standing in for custom auth: nothing is sent, so none needs to sign anything. */
function standInHandlers(definition: ActionDefinition | undefined, recording: Recording): Record<string, CustomAuthHandler> {
  const auth = definition?.authentication;
  if (auth?.type !== 'custom') return {};
  // An execution that failed because its handler was not registered must fail the same way again.
  const failedUnregistered = recording.transitions.some((t) => t.event === 'FAILED' && JSON.stringify(t.data ?? '').includes('"CUSTOM_AUTH_UNKNOWN"'));
  return failedUnregistered ? {} : { [auth.handler]: () => ({}) };
}

/** A definition given for a what-if is validated like one loaded from a file. */
function givenDefinition(value: ActionDefinition): ActionDefinition {
  const parsed = ActionDefinitionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ReplayInputError(`the definition given to the replay is invalid:\n${formatZodIssues(parsed.error.issues)}`);
}

/**
 * The recorded world of one recording and an `ExecutionRun` (not fresh: it asks the journal for
 * every attempt) over it. Throws ReplayInputError when the definition to replay with does not parse.
 */
export function createReplayWorld(recording: Recording, options: ReplayWorldOptions = {}): ReplayWorld {
  const definition = options.definition ? givenDefinition(options.definition) : recordedDefinition(recording);
  const journal = createRecordedJournal(recording);
  const clock = createRecordedClock(recording.createdAt);
  const random = createRecordedRandom();
  const storage = createReplayStorage();
  const network = createNoNetwork();
  const lookup = createCatalogLookup(options.catalog);
  let matched: ApiCatalogEntry | null = null;
  const names = recording.request.context.credentialNames;
  const credentials = { ...Object.fromEntries(names.map((name) => [name, placeholderCredential(name)])), ...(options.credentials ?? {}) };
  const run = new ExecutionRun(
    {
      journal,
      storage,
      catalog: {
        match: async (url) => {
          const match = await lookup.match(url);
          matched = match.entry;
          return match;
        },
      },
      clock,
      random: random.next,
      logger: SILENT,
      customAuth: options.customAuth ?? standInHandlers(definition, recording),
      tokenCache: createTokenCache(),
      inlineBodyLimit: EXECUTOR_DEFAULTS.inlineBodyLimit,
      maxMappedBodyBytes: EXECUTOR_DEFAULTS.maxMappedBodyBytes,
      network,
    },
    recording.request,
    definition,
    credentials,
    false,
  );
  return { journal, clock, random, storage, network, run, catalogEntry: () => matched };
}
