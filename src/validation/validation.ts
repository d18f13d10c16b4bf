/**
 * Input and output validation against a definition's `inputSchema` / `outputSchema` (DESIGN §4,
 * EXEC-001, EXEC-010, spec edge case 5).
 *
 * Each schema string is parsed by schema-language.ts and compiled by ajv once per definition; the
 * result is cached by definition object and by `id@version`. Fields are validated one by one rather
 * than as one big JSON Schema so every failure can name its field path, say what arrived, and — when
 * an output field is missing — point at the similarly named field the API sent instead.
 */
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { actionError } from '../failure/errors.ts';
import { describeValue, jsonTypeOf, quoteTruncated } from '../support/describe-value.ts';
import { ACCEPTED_SCHEMA_STRINGS, parseFieldType } from './schema-language.ts';
import type { FieldType } from './schema-language.ts';
import { coerceString } from './input-coercion.ts';
import { navigateDottedPath } from '../references/dotted-path.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import { findSimilarNames } from '../support/similar-names.ts';
import { describeAjvErrors, fieldList, joinProblems } from './validation-messages.ts';
import type { FieldProblem } from './validation-messages.ts';

/** Which schema of a definition a field belongs to. */
export type SchemaSide = 'inputSchema' | 'outputSchema';

/** One declared field, compiled. */
export interface CompiledField {
  /** The key as written in the schema. */
  name: string;
  /** Output keys split on dots (`data.user.id` → data, user, id); input keys are one segment. */
  path: readonly string[];
  type: FieldType;
  /** ajv validator for a present, non-null value. */
  validate: ValidateFunction;
}

/** Both schemas of one definition, compiled. Immutable; shared by every execution of the definition. */
export interface CompiledSchemas {
  /** `${id}@${version}` of the definition. */
  key: string;
  input: readonly CompiledField[];
  output: readonly CompiledField[];
}

/** Why one schema string of a definition was rejected. */
export interface SchemaProblem {
  side: SchemaSide;
  field: string;
  /** The schema string as written. */
  value: string;
  /** Why the value is not accepted (without naming side and field). */
  reason: string;
  /** One sentence naming the side, field and value, and why it is not accepted. */
  message: string;
  /** The string is not in the mini-language at all, so the message should list what is accepted. */
  syntax: boolean;
}

/**
 * A schema problem as self-contained text, listing the accepted forms when the syntax was wrong.
 * `reason` leaves out side and field, for reports that name them by JSON path already.
 */
export function schemaProblemText(problem: SchemaProblem, form: 'full' | 'reason' = 'full'): string {
  const text = sentence(form === 'full' ? problem.message : problem.reason);
  return problem.syntax ? `${text} ${ACCEPTED_SCHEMA_STRINGS}` : text;
}

/** Ends a clause as a sentence unless it already ends with punctuation. */
function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** Options of {@link validateInputs} and {@link validateOutput}. */
export interface ValidationOptions {
  /** Scrubs known secret values from values echoed in messages (a Redactor's `text`). */
  redact?: ((text: string) => string) | undefined;
}

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule.default;

/**
 * One ajv for the process. `strictSchema` rejects unknown keywords (a typo such as "minimun" in a
 * fragment would otherwise silently validate nothing); `addUsedSchema: false` keeps a fragment's `$id`
 * from clashing with another definition's. `allErrors` stays off: every field is validated on its
 * own, so all bad fields are still reported, while a huge array of bad items costs one error object,
 * not one per item (memory stays bounded whatever the response size).
 */
const ajv = new Ajv({
  allErrors: false,
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  addUsedSchema: false,
});
addFormats(ajv);

/** Validators by schema JSON: `"integer"` in a hundred definitions compiles once. */
const validatorsBySchema = new Map<string, ValidateFunction>();
const compiledByObject = new WeakMap<ActionDefinition, CompiledSchemas>();
const compiledByKey = new Map<string, { fingerprint: string; compiled: CompiledSchemas }>();

function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  const text = JSON.stringify(schema);
  let validate = validatorsBySchema.get(text);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validatorsBySchema.set(text, validate);
  }
  return validate;
}

function definitionLabel(def: ActionDefinition): string {
  return `action "${def.id}" v${def.version}`;
}

function compileSide(def: ActionDefinition, side: SchemaSide): { fields: CompiledField[]; problems: SchemaProblem[] } {
  const fields: CompiledField[] = [];
  const problems: SchemaProblem[] = [];
  const problem = (field: string, value: string, reason: string, syntax = false): void => {
    problems.push({ side, field, value, syntax, reason, message: sentence(`${side} field "${field}" is ${quoteTruncated(value, 120)}: ${reason}`) });
  };

  for (const [name, source] of Object.entries(def[side])) {
    const path = side === 'outputSchema' ? name.split('.') : [name];
    if (name === '' || path.some((segment) => segment === '')) {
      problem(name, source, `"${name}" is not a usable field name (empty, or a dotted path with an empty segment)`);
      continue;
    }
    const parsed = parseFieldType(source);
    if (!parsed.ok) {
      problem(name, source, parsed.reason, true);
      continue;
    }
    try {
      fields.push({ name, path, type: parsed.type, validate: compileJsonSchema(parsed.type.jsonSchema) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problem(name, source, `the JSON Schema fragment is not valid: ${reason}`);
    }
  }

  // A dotted field below a declared field that cannot be an object could never validate.
  for (const child of fields) {
    for (const parent of fields) {
      if (parent === child || parent.type.allowsChildren || parent.path.length >= child.path.length) continue;
      if (parent.path.every((segment, i) => child.path[i] === segment)) {
        problem(child.name, child.type.source, `it needs "${parent.name}" to be an object, but "${parent.name}" is declared as "${parent.type.source}"`);
      }
    }
  }
  return { fields, problems };
}

/**
 * Compiles both schemas of a definition, or lists every schema string that is not accepted. The
 * loaders use this to report each bad field; callers that want an exception use
 * {@link compileDefinitionSchemas}.
 */
export function tryCompileDefinitionSchemas(
  def: ActionDefinition,
): { ok: true; compiled: CompiledSchemas } | { ok: false; problems: SchemaProblem[] } {
  const cached = compiledByObject.get(def);
  if (cached !== undefined) return { ok: true, compiled: cached };
  const key = `${def.id}@${def.version}`;
  // Same id@version with different schemas (edited without a version bump) must not reuse the old one.
  const fingerprint = JSON.stringify([def.inputSchema, def.outputSchema]);
  const byKey = compiledByKey.get(key);
  if (byKey !== undefined && byKey.fingerprint === fingerprint) {
    compiledByObject.set(def, byKey.compiled);
    return { ok: true, compiled: byKey.compiled };
  }

  const input = compileSide(def, 'inputSchema');
  const output = compileSide(def, 'outputSchema');
  const problems = [...input.problems, ...output.problems];
  if (problems.length > 0) return { ok: false, problems };

  const compiled: CompiledSchemas = Object.freeze({ key, input: Object.freeze(input.fields), output: Object.freeze(output.fields) });
  compiledByObject.set(def, compiled);
  compiledByKey.set(key, { fingerprint, compiled });
  return { ok: true, compiled };
}

/**
 * Compiles a definition's schemas once and returns the cached result on every later call (for the
 * same object, or another object with the same id@version and identical schemas). Definitions are
 * treated as immutable: edit one by creating a new object.
 *
 * @throws ActionError `validation_failed`, code `INVALID_SCHEMA`, naming the definition, side, field
 *   and bad value of every schema string that is not accepted.
 */
export function compileDefinitionSchemas(def: ActionDefinition): CompiledSchemas {
  const result = tryCompileDefinitionSchemas(def);
  if (result.ok) return result.compiled;
  const [first] = result.problems;
  const messages = result.problems.map((p) => p.message);
  const accepted = result.problems.some((p) => p.syntax) ? ` ${ACCEPTED_SCHEMA_STRINGS}` : '';
  throw actionError(
    'validation_failed',
    `Definition of ${definitionLabel(def)} has ${messages.length === 1 ? 'an invalid schema string' : `${messages.length} invalid schema strings`}: ${messages.join(' ')}${accepted}`,
    {
      code: 'INVALID_SCHEMA',
      context: {
        actionDefinitionId: def.id,
        definitionVersion: def.version,
        side: first?.side ?? '',
        field: first?.field ?? '',
        value: first?.value ?? '',
        fields: result.problems.map((p) => `${p.side}.${p.field}`).join(', '),
      },
      suggestion: 'Fix the schema strings in the definition file (see docs/schema-language.md); the definition cannot be used until then.',
    },
  );
}

/** Validates one present value; returns the problems (empty when valid). */
function checkValue(field: CompiledField, value: unknown, options: ValidationOptions): FieldProblem[] {
  if (value === null && field.type.optional) return [];
  if (field.validate(value)) return [];
  return describeAjvErrors(field.name, field.type, value, field.validate.errors ?? [], options.redact).map((text) => ({
    field: field.name,
    kind: 'mistyped' as const,
    text,
  }));
}

/**
 * EXEC-001: validates resolved inputs against `inputSchema` and returns a copy with reference strings
 * coerced to number/integer/boolean where the field asks for one ("42" → 42, "true" → true). Inputs
 * the schema does not declare are kept untouched (they go to the query string or body). Every problem
 * is reported at once.
 *
 * @throws ActionError `validation_failed`, code `INPUT_INVALID` (or `INVALID_SCHEMA`).
 */
export function validateInputs(
  def: ActionDefinition,
  inputs: Readonly<Record<string, unknown>>,
  options: ValidationOptions = {},
): Record<string, unknown> {
  const compiled = compileDefinitionSchemas(def);
  const result: Record<string, unknown> = { ...inputs };
  const problems: FieldProblem[] = [];

  for (const field of compiled.input) {
    let value = Object.hasOwn(inputs, field.name) ? inputs[field.name] : undefined;
    if (value === undefined) {
      if (!field.type.optional) {
        problems.push({ field: field.name, kind: 'missing', text: `\`${field.name}\` is required but was not provided` });
      }
      continue;
    }
    if (field.type.coerceTo !== undefined && typeof value === 'string') {
      const coerced = coerceString(value, field.type.coerceTo);
      if (!coerced.ok) {
        const shown = describeValue(value, { fieldName: field.name, redact: options.redact });
        problems.push({ field: field.name, kind: 'mistyped', text: `\`${field.name}\` expected ${field.type.expected}, received ${shown}` });
        continue;
      }
      value = coerced.value;
      result[field.name] = value;
    }
    problems.push(...checkValue(field, value, options));
  }

  if (problems.length === 0) return result;
  const missing = fieldList(problems, 'missing');
  const mistyped = fieldList(problems, 'mistyped');
  const context: Record<string, string> = { actionDefinitionId: def.id, definitionVersion: def.version, fields: fieldList(problems) };
  if (missing !== '') context['missing'] = missing;
  if (mistyped !== '') context['mistyped'] = mistyped;
  throw actionError('validation_failed', joinProblems(`Inputs of ${definitionLabel(def)} are invalid`, problems), {
    code: 'INPUT_INVALID',
    context,
    suggestion:
      (missing !== '' ? 'Provide the missing inputs in the planned action, or mark them optional with "?" in inputSchema. ' : '') +
      (mistyped !== ''
        ? 'Fix the input values or the references that produce them; a string becomes a number or boolean only when the whole string is one ("42", "1.5", "true").'
        : ''),
  });
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds the similarly named keys the response has where a declared field is missing. */
function renameCandidates(fields: readonly CompiledField[], path: readonly string[], depth: number, parent: Record<string, unknown>): string[] {
  const prefix = path.slice(0, depth);
  const declaredHere = new Set(
    fields.filter((f) => f.path.length > depth && prefix.every((s, i) => f.path[i] === s)).map((f) => f.path[depth]),
  );
  const candidates = Object.keys(parent).filter((key) => !declaredHere.has(key));
  return findSimilarNames(path[depth] ?? '', candidates).map((key) => [...prefix, key].join('.'));
}

/**
 * EXEC-010: validates a parsed JSON response body against `outputSchema`. Dotted keys navigate nested
 * objects. A body that is not a JSON object is validated as `{ body: <value> }` (the shape its output
 * record has); an absent body as `{}`. Unknown response fields are allowed. Every problem is reported
 * at once, and a missing field with a similarly named neighbour gets a rename hint (edge case 5).
 *
 * @throws ActionError `validation_failed`, code `OUTPUT_INVALID` (or `INVALID_SCHEMA`).
 */
export function validateOutput(def: ActionDefinition, body: unknown, options: ValidationOptions = {}): void {
  const compiled = compileDefinitionSchemas(def);
  const root: Record<string, unknown> = isPlainObject(body) ? body : body === undefined ? {} : { body };
  const problems: FieldProblem[] = [];
  const missingGroups = new Map<string, { problem: FieldProblem; neededFor: string[]; similar: string[] }>();
  const renames: string[] = [];

  for (const field of compiled.output) {
    const found = navigateDottedPath(root, field.path);
    if (found.kind === 'found') {
      problems.push(...checkValue(field, found.value, options));
      continue;
    }
    const at = field.path.slice(0, found.depth + 1).join('.');
    if (found.kind === 'blocked') {
      if (found.value === null && field.type.optional) continue;
      const what =
        found.value === null ? 'null' : `${withArticle(jsonTypeOf(found.value))}, not an object${Array.isArray(found.value) ? ' (dotted paths do not index arrays)' : ''}`;
      problems.push({ field: field.name, kind: 'mistyped', text: `\`${field.name}\` cannot be read: \`${at}\` is ${what}` });
      continue;
    }
    if (field.type.optional) continue;
    const earlier = missingGroups.get(at);
    if (earlier !== undefined) {
      // `data` is missing for data.a and data.b: one problem that lists both fields.
      earlier.neededFor.push(field.name);
      continue;
    }
    const similar = renameCandidates(compiled.output, field.path, found.depth, found.parent);
    const problem: FieldProblem = { field: field.name, kind: 'missing', text: '' };
    if (similar.length > 0) {
      problem.similar = similar;
      renames.push(`${at} → ${similar.join(' or ')}`);
    }
    missingGroups.set(at, { problem, neededFor: at === field.name ? [] : [field.name], similar });
    problems.push(problem);
  }

  for (const [at, group] of missingGroups) {
    const neededFor = group.neededFor.length === 0 ? '' : ` (needed for ${group.neededFor.map((f) => `\`${f}\``).join(', ')})`;
    const hint = group.similar.length === 0 ? '' : `; the response has ${group.similar.map((s) => `\`${s}\``).join(' or ')} — did the API rename it?`;
    group.problem.text = `\`${at}\` is missing${neededFor}${hint}`;
    group.problem.related = group.neededFor;
  }

  if (problems.length === 0) return;
  let header = `Response of ${definitionLabel(def)} does not match its outputSchema`;
  if (body === undefined) header += ' (the response body was empty)';
  else if (!isPlainObject(body)) header += ` (the response body is ${withArticle(jsonTypeOf(body))}, not a JSON object, so it is checked as { "body": … })`;

  const context: Record<string, string> = { actionDefinitionId: def.id, definitionVersion: def.version, fields: fieldList(problems) };
  const missing = fieldList(problems, 'missing');
  const mistyped = fieldList(problems, 'mistyped');
  if (missing !== '') context['missing'] = missing;
  if (mistyped !== '') context['mistyped'] = mistyped;
  if (renames.length > 0) context['possibleRenames'] = renames.join('; ');
  throw actionError('validation_failed', joinProblems(header, problems), {
    code: 'OUTPUT_INVALID',
    context,
    suggestion:
      renames.length > 0
        ? `The API may have renamed fields (${renames.join('; ')}). If it did, update outputSchema of definition "${def.id}" and bump its version; otherwise check the API's changelog.`
        : `Compare the API's response with outputSchema of definition "${def.id}" v${def.version}: the API may have changed, or the schema is wrong.`,
  });
}
