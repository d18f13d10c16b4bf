/**
 * The errors reference resolution raises. One builder per failure, each with its own `code`, so a
 * caller can tell "the plan names an action that never ran" from "the API returned fewer items".
 *
 * Every message, context value and suggestion passes through the redactor built from the request's
 * credentials, and echoed values are redacted *before* they are truncated: truncating first could
 * leave a cut-off secret prefix the redactor no longer recognises.
 */
import { actionError, type ActionError } from '../failure/errors.ts';
import type { JsonErrorLocation } from '../support/json-error-position.ts';
import type { ReferenceSyntaxError } from './reference-syntax.ts';
import { REDACTED, type Redactor } from '../redaction/redaction.ts';
import { findSimilarNames } from '../support/similar-names.ts';
import type { ErrorCategory } from '../schemas/errors.ts';

/** Error codes of reference resolution, all `validation_failed` except CREDENTIAL_MISSING (`auth_invalid`). */
export const REFERENCE_ERROR_CODES = [
  'REFERENCE_SYNTAX',
  'REFERENCE_UNKNOWN_ACTION',
  'REFERENCE_PATH_NOT_FOUND',
  'REFERENCE_TYPE_MISMATCH',
  'REFERENCE_INDEX_OUT_OF_RANGE',
  'REFERENCE_MALFORMED_JSON',
  'REFERENCE_CYCLE',
  'REFERENCE_DEPTH_EXCEEDED',
  'REFERENCE_VALUE_TOO_DEEP',
  'CREDENTIALS_NOT_ALLOWED',
  'ENV_NOT_ALLOWED',
  'ACTION_REFERENCE_NOT_ALLOWED',
  'CREDENTIAL_MISSING',
  'CONDITION_NOT_BOOLEAN',
] as const;

export type ReferenceErrorCode = (typeof REFERENCE_ERROR_CODES)[number];

/** Where resolution failed, as messages and `context` should name it. */
export interface ErrorScope {
  /** How messages name the place, e.g. `Input "userId"` or `Field "headers.Authorization"`. */
  label: string;
  /** Entries that identify the place (`input` or `field`) and the reference as written. */
  context: Record<string, string>;
  /** The reference as written in the template being resolved, when one was reached. */
  reference?: string | undefined;
  /** Canonical texts of the references being resolved, outermost first (empty outside a chain). */
  chain: readonly string[];
  redactor: Redactor;
}

const PREVIEW_LIMIT = 80;
const RAW_LIMIT = 120;
const LIST_LIMIT = 20;

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} chars)`;
}

/** Shows line breaks and other control characters as escapes, so a message stays on one line. */
function escapeControls(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? JSON.stringify(char).slice(1, -1) : char;
  }
  return out;
}

/** A short, redacted rendering of a value for a message. */
export function previewValue(value: unknown, redactor: Redactor, secretField = false): string {
  if (secretField) return REDACTED;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(a value too deeply nested to print)';
  }
  return truncate(redactor.text(text), PREVIEW_LIMIT);
}

/** What kind of JSON value this is, in words. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function listNames(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown}, … (${names.length - LIST_LIMIT} more)` : shown;
}

/** The candidate a typo most likely meant (the project-wide rule of similar-names.ts). */
function closestName(wanted: string, candidates: readonly string[]): string | undefined {
  // Bounded: an output with thousands of keys should not make a failure slow to report.
  return findSimilarNames(wanted, candidates.slice(0, 1000), 1)[0];
}

function via(scope: ErrorScope): string {
  return scope.chain.length > 1 ? ` (reached via ${scope.chain.join(' → ')})` : '';
}

function build(
  scope: ErrorScope,
  code: ReferenceErrorCode,
  message: string,
  context: Record<string, string>,
  suggestion: string,
  category: ErrorCategory = 'validation_failed',
): ActionError {
  const { redactor } = scope;
  const merged: Record<string, string> = { ...scope.context, ...context };
  if (scope.chain.length > 1) merged['chain'] = scope.chain.join(' → ');
  // `reference` names what the plan author wrote; a reference met further down a chain is `resolving`.
  const failed = merged['reference'];
  if (scope.reference !== undefined && failed !== undefined && failed !== scope.reference) {
    merged['resolving'] = failed;
    merged['reference'] = scope.reference;
  }
  const redactedContext: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) redactedContext[key] = redactor.text(value);
  return actionError(category, redactor.text(message), {
    code,
    retryable: false,
    context: redactedContext,
    suggestion: redactor.text(suggestion),
  });
}

const SYNTAX_HELP =
  'References look like ${actionId.output.field}, ${actionId.output.items[0].name} or ${actionId.output["odd key"]}; write $${ for a literal "${".';

/** A `${...}` the plan author wrote does not follow the grammar. */
export function syntaxError(scope: ErrorScope, error: ReferenceSyntaxError): ActionError {
  const raw = truncate(scope.redactor.text(error.raw), RAW_LIMIT);
  return build(
    scope,
    'REFERENCE_SYNTAX',
    `${scope.label} has a malformed reference ${raw}: expected ${error.expected} at character ${error.position + 1}, found ${error.found}.`,
    { reference: raw, character: String(error.position + 1), expected: error.expected },
    SYNTAX_HELP,
  );
}

/** The reference names an action with no entry in previousResults. */
export function unknownActionError(scope: ErrorScope, raw: string, actionId: string, available: readonly string[]): ActionError {
  const sorted = [...available].sort();
  const guess = closestName(actionId, sorted);
  const have = sorted.length === 0 ? 'no action results are available yet' : `results exist for: ${listNames(sorted)}`;
  return build(
    scope,
    'REFERENCE_UNKNOWN_ACTION',
    `${scope.label} refers to ${raw}, but previousResults has no result for action "${actionId}" (${have})${via(scope)}.`,
    { reference: raw, actionId, availableActions: sorted.join(', ') },
    `${guess === undefined ? '' : `Did you mean "${guess}"? `}Check the action id in the reference, and list "${actionId}" in this action's dependencies so it completes first.`,
  );
}

/** Navigation reached an object without the wanted key. */
export function pathNotFoundError(scope: ErrorScope, raw: string, where: string, key: string, keys: readonly string[]): ActionError {
  const guess = closestName(key, keys);
  return build(
    scope,
    'REFERENCE_PATH_NOT_FOUND',
    `${scope.label} refers to ${raw}, but ${where} has no key "${key}" (keys there: ${listNames(keys)})${via(scope)}.`,
    { reference: raw, stoppedAt: where, missingKey: key, availableKeys: keys.slice(0, LIST_LIMIT).join(', ') },
    guess === undefined
      ? `Check the field name against the action's actual output; the API may have renamed or dropped "${key}".`
      : `Did you mean "${guess}"? The API may have renamed "${key}".`,
  );
}

/** Navigation wanted a key or an index from a value that has none. */
export function typeMismatchError(
  scope: ErrorScope,
  raw: string,
  where: string,
  value: unknown,
  wanted: { key: string } | { index: number },
  secretField: boolean,
): ActionError {
  const type = describeType(value);
  const step = 'key' in wanted ? `key "${wanted.key}"` : `index [${wanted.index}]`;
  const shape = 'key' in wanted ? 'an object' : 'an array';
  return build(
    scope,
    'REFERENCE_TYPE_MISMATCH',
    `${scope.label} refers to ${raw}, but ${where} is ${type} (${previewValue(value, scope.redactor, secretField)}), not ${shape}, so it has no ${step}${via(scope)}.`,
    { reference: raw, stoppedAt: where, foundType: type },
    `Check the path against the action's actual output: ${where} holds ${type}.`,
  );
}

/** Navigation indexed past the end of an array. */
export function indexOutOfRangeError(scope: ErrorScope, raw: string, where: string, index: number, length: number): ActionError {
  const range = length === 0 ? `${where} is an empty array` : `${where} has ${length} item${length === 1 ? '' : 's'} (valid indexes 0–${length - 1})`;
  return build(
    scope,
    'REFERENCE_INDEX_OUT_OF_RANGE',
    `${scope.label} refers to ${raw}, but ${range}, so index ${index} is out of range${via(scope)}.`,
    { reference: raw, stoppedAt: where, index: String(index), length: String(length) },
    'The previous action returned fewer items than this plan expects; guard the action with a condition, or reference an index that always exists.',
  );
}

/** Text that had to be parsed as JSON (a stored output, or a JSON-text field being navigated into) is not valid. */
export function malformedJsonError(scope: ErrorScope, raw: string, where: string, text: string, location: JsonErrorLocation | null): ActionError {
  const at = location === null
    ? 'it could not be parsed'
    : `expected ${location.expected} at position ${location.position} (line ${location.line}, column ${location.column}), found ${location.found}`;
  const start = escapeControls(truncate(scope.redactor.text(text), PREVIEW_LIMIT));
  const stored = where.startsWith('previousResults[');
  return build(
    scope,
    'REFERENCE_MALFORMED_JSON',
    `${scope.label} refers to ${raw}, but ${where} is not valid JSON: ${at}${via(scope)}. The text starts: ${start}`,
    {
      reference: raw,
      stoppedAt: where,
      ...(location === null ? {} : { position: String(location.position), line: String(location.line), column: String(location.column) }),
    },
    stored
      ? 'previousResults values must be the JSON text of each action\'s output object, exactly as the executor stored it; check what wrote this entry.'
      : `${where} looks like JSON text (it starts with "{" or "[") but is not valid JSON, so the path cannot continue into it; check what the API returned there.`,
  );
}

/** A reference, directly or through values it resolved to, refers back to itself. */
export function cycleError(scope: ErrorScope, raw: string, chain: readonly string[]): ActionError {
  const printed = chain.join(' → ');
  const last = chain[chain.length - 1] ?? '';
  const loopStart = chain.indexOf(last);
  return build(
    { ...scope, chain: [] },
    'REFERENCE_CYCLE',
    `${scope.label} has a circular reference: ${printed}. Resolving it would never end.`,
    { reference: raw, chain: printed, cycle: chain.slice(loopStart).join(' → ') },
    'Break the loop: one of the outputs in this chain must hold a value, not a reference back into the chain.',
  );
}

/** A chain of references (each resolving to another) is longer than allowed. */
export function depthExceededError(scope: ErrorScope, raw: string, chain: readonly string[], maxDepth: number): ActionError {
  const printed = chain.join(' → ');
  return build(
    { ...scope, chain: [] },
    'REFERENCE_DEPTH_EXCEEDED',
    `${scope.label} refers to ${scope.reference ?? raw}, whose chain of references is deeper than ${maxDepth} levels: ${printed}. Resolution stopped there.`,
    { reference: raw, chain: printed, maxDepth: String(maxDepth) },
    'Shorten the chain so outputs hold values rather than references to further references, or pass a larger maxDepth if this depth is intended.',
  );
}

/** A resolved value is nested too deeply to walk or print safely. */
export function valueTooDeepError(scope: ErrorScope, raw: string, where: string, limit: number): ActionError {
  return build(
    scope,
    'REFERENCE_VALUE_TOO_DEEP',
    `${scope.label} refers to ${raw}, but the value at ${where} is nested more than ${limit} levels deep, too deep to resolve safely${via(scope)}.`,
    { reference: raw, stoppedAt: where, limit: String(limit) },
    'Reference a smaller part of the value (a deeper path) instead of the whole structure.',
  );
}

/** `${credentials.X}` where only plain values may go. */
export function credentialsNotAllowedError(scope: ErrorScope, raw: string, name: string): ActionError {
  return build(
    scope,
    'CREDENTIALS_NOT_ALLOWED',
    `${scope.label} uses ${raw}, but credentials may only be used in authentication fields and headers, never in inputs (there they would end up in URLs, bodies and logs).`,
    { reference: raw, credential: name },
    `Move the credential into the action definition's authentication block or a header, e.g. "Authorization": "Bearer \${credentials.${name}}".`,
  );
}

/** `${env.X}`: never allowed. */
export function envNotAllowedError(scope: ErrorScope, raw: string, name: string): ActionError {
  return build(
    scope,
    'ENV_NOT_ALLOWED',
    `${scope.label} uses ${raw}, but payloads can never read environment variables.`,
    { reference: raw, variable: name },
    'Pass the value explicitly as an input or, if it is a secret, in context.credentials and reference it as ${credentials.NAME} from a header or authentication field.',
  );
}

/** An action reference inside an authentication field or header template. */
export function actionReferenceNotAllowedError(scope: ErrorScope, raw: string): ActionError {
  return build(
    scope,
    'ACTION_REFERENCE_NOT_ALLOWED',
    `${scope.label} uses ${raw}, but authentication fields and headers may only use \${credentials.NAME} references.`,
    { reference: raw },
    'Use a {param} placeholder in the header and pass the reference as an input of the action.',
  );
}

/** `${credentials.X}` names a credential the request did not provide. Never prints a value. */
export function credentialMissingError(scope: ErrorScope, raw: string, name: string, provided: readonly string[]): ActionError {
  const names = [...provided].sort();
  const guess = closestName(name, names);
  return build(
    scope,
    'CREDENTIAL_MISSING',
    `${scope.label} needs credential "${name}" (${raw}), but context.credentials has no entry with that name (provided: ${listNames(names)}).`,
    { reference: raw, credential: name, providedCredentials: names.join(', ') },
    `${guess === undefined ? '' : `Did you mean "${guess}"? `}Add "${name}" to context.credentials of the request; credential values are never logged.`,
    'auth_invalid',
  );
}

/** A condition resolved to something that is not a boolean. */
export function conditionNotBooleanError(scope: ErrorScope, raw: string, value: unknown): ActionError {
  return build(
    scope,
    'CONDITION_NOT_BOOLEAN',
    `${scope.label} ${raw} resolved to ${previewValue(value, scope.redactor)} (${describeType(value)}), but a condition must be true or false (a boolean, or the text "true" or "false").`,
    { reference: raw, foundType: describeType(value) },
    'Point the condition at a boolean output field, or at a text field holding exactly "true" or "false".',
  );
}
