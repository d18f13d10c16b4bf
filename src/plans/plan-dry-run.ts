/**
 * A plan's dry run (issue 11 "Dry run"): the order it would run in (levels) and the request each
 * action would send, built by the executor's own request builder, redacted — and nothing sent,
 * nothing journaled. What cannot be known before the plan runs stays visible as what it is: a
 * reference to another action's output prints as `${a.output.x}` where its value will go.
 */
import { isActionError } from '../failure/errors.ts';
import { buildRequest } from '../http/request-builder.ts';
import { createRedactor, REDACTED, type Redactor } from '../redaction/redaction.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import type { ExecutionPlan, PlannedAction } from '../schemas/plan.ts';
import { validateInputs } from '../validation/validation.ts';
import { planLevels } from './plan-levels.ts';

/** The request an action would send, redacted; unresolved references appear as written. */
export interface DryRunRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The authentication the executor adds when it sends, described (its values are never shown). */
  authentication?: string;
}

/** One action of a dry run. */
export interface DryRunAction {
  actionId: string;
  definitionId: string;
  /** Its level (0 = no dependencies); null for an alternative, which runs only in another's place. */
  level: number | null;
  /** For an alternative: the action it stands in for. */
  alternativeFor?: string;
  dependencies: string[];
  /** `${a.output.x} (else skip)` when the action has a condition. */
  condition?: string;
  /** When the action asks for a confirmation first. */
  confirmation?: { title: string; message: string; timeoutMs?: number };
  /** The request, when it could be built. */
  request?: DryRunRequest;
  /** References to other actions' outputs, resolved only when the plan runs. */
  unresolved: string[];
  /** Why the request could not be built (or would fail input validation) with what is known now. */
  problems: string[];
}

/** What a dry run reports. */
export interface PlanDryRun {
  planId: string;
  name: string;
  levels: string[][];
  actions: DryRunAction[];
}

const ACTION_REFERENCE = /\$\{([A-Za-z0-9_]+)\.output[^}]*\}/g;

/** A stand-in value that survives URL encoding and JSON unchanged, swapped back for the reference text. */
const marker = (index: number): string => `AEDRYRUNREF${index}X`;

function describeAuthentication(definition: ActionDefinition): string | undefined {
  const auth = definition.authentication;
  if (auth === undefined) return undefined;
  switch (auth.type) {
    case 'bearer':
      return `bearer: Authorization: Bearer ${REDACTED}`;
    case 'api_key':
      return `api_key: ${auth.header}: ${REDACTED}`;
    case 'oauth2':
      return `oauth2: Authorization: Bearer <a token fetched from ${auth.tokenUrl} when sent>`;
    case 'custom':
      return `custom: handler "${auth.handler}" adds its headers when sent`;
  }
}

/** A JSON body with secret-named fields and known secret values redacted (the builder always writes JSON). */
function redactBody(body: string, redactor: Redactor): string {
  try {
    return JSON.stringify(redactor.json(JSON.parse(body) as unknown));
  } catch {
    return redactor.text(body);
  }
}

function dryRunRequest(plan: ExecutionPlan, action: PlannedAction, definition: ActionDefinition, credentials: Record<string, string>, redactor: Redactor): Pick<DryRunAction, 'request' | 'unresolved' | 'problems'> {
  const unresolved: string[] = [];
  const problems: string[] = [];
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(action.inputs)) {
    if (typeof value !== 'string') {
      inputs[name] = value;
      continue;
    }
    inputs[name] = value.replace(ACTION_REFERENCE, (reference) => {
      unresolved.push(reference);
      return marker(unresolved.length - 1);
    });
  }
  let built: ReturnType<typeof buildRequest>;
  try {
    // Inputs are checked only when they are all known: a marker is not the value it stands for.
    const checked = unresolved.length === 0 ? validateInputs(definition, inputs) : inputs;
    built = buildRequest(definition, checked, { executionId: plan.id, actionId: action.id, credentials });
  } catch (error) {
    problems.push(isActionError(error) ? redactor.text(error.detail.message) : String(error));
    return { unresolved, problems };
  }
  const restore = (text: string): string => unresolved.reduce((out, reference, index) => out.replaceAll(marker(index), reference), text);
  const request: DryRunRequest = {
    method: built.method,
    url: restore(redactor.text(built.url)),
    headers: Object.fromEntries(Object.entries(redactor.headers(built.headers, built.credentialHeaders ?? [])).map(([name, value]) => [name, restore(value)])),
  };
  if (built.body !== undefined) request.body = restore(redactBody(built.body, redactor));
  const authentication = describeAuthentication(definition);
  if (authentication !== undefined) request.authentication = authentication;
  return { request, unresolved, problems };
}

/**
 * Dry-runs a plan `validatePlan` accepted. `definition(id)` looks a definition up (each action's is
 * loaded: validation checked); `credentials` fill `${credentials.X}` in headers, then are redacted.
 */
export function dryRunPlan(plan: ExecutionPlan, definition: (id: string) => ActionDefinition | undefined, credentials: Record<string, string> = {}): PlanDryRun {
  const levels = planLevels(plan);
  const levelOf = new Map<string, number>();
  levels.forEach((ids, level) => ids.forEach((id) => levelOf.set(id, level)));
  const redactor = createRedactor(Object.values(credentials));
  const order = [...levels.flat(), ...plan.actions.map((action) => action.id).filter((id) => !levelOf.has(id))];
  const byId = new Map(plan.actions.map((action) => [action.id as string, action]));
  const actions = order.flatMap((id): DryRunAction[] => {
    const action = byId.get(id);
    if (action === undefined) return [];
    const entry: DryRunAction = { actionId: id, definitionId: action.actionDefinitionId, level: levelOf.get(id) ?? null, dependencies: [...action.dependencies], unresolved: [], problems: [] };
    const primary = plan.actions.find((candidate) => candidate.errorHandling.alternativeActionId === id);
    if (primary !== undefined) entry.alternativeFor = primary.id;
    if (action.condition !== undefined) entry.condition = `${action.condition.if} (else ${action.condition.else})`;
    const confirmation = action.userConfirmation;
    if (confirmation?.required === true) entry.confirmation = { title: confirmation.title, message: confirmation.message, ...(confirmation.timeout === undefined ? {} : { timeoutMs: confirmation.timeout }) };
    const loaded = definition(action.actionDefinitionId);
    if (loaded === undefined) entry.problems.push(`no definition "${action.actionDefinitionId}" is loaded`);
    else Object.assign(entry, dryRunRequest(plan, action, loaded, credentials, redactor));
    return [entry];
  });
  return { planId: plan.id, name: plan.name, levels, actions };
}
