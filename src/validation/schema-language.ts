/**
 * The schema mini-language of DESIGN §4: the strings of `inputSchema` / `outputSchema`.
 *
 *   string | number | integer | boolean | object | array | null | any
 *   string:<format>   (email, uri, uuid, date-time, date)
 *   array:<type>      (items of that type, e.g. array:integer, array:string:email)
 *   <any of these>?   optional: the field may be absent or null
 *   {…}               a JSON Schema fragment as JSON text (also with a trailing ?)
 *
 * This module only parses one schema string into a JSON Schema; compiling it with ajv, caching and
 * naming the definition in errors belong to validation.ts.
 */
import { parseJsonLocated } from '../support/parse-json-located.ts';
import { findSimilarNames } from '../support/similar-names.ts';

/** The type names of the mini-language. */
export const SCHEMA_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'any'] as const;
/** The formats `string:<format>` accepts (validated by ajv-formats). */
export const STRING_FORMATS = ['email', 'uri', 'uuid', 'date-time', 'date'] as const;

/** A type name of the mini-language. */
export type SchemaTypeName = (typeof SCHEMA_TYPES)[number];
/** The types a string received for a field may be coerced to (as ajv's `coerceTypes`). */
export type CoercionTarget = 'number' | 'integer' | 'boolean';

/** What an invalid-schema error tells the author is allowed. */
export const ACCEPTED_SCHEMA_STRINGS =
  'Accepted: a type (string, number, integer, boolean, object, array, null, any), ' +
  `string:<format> with format ${STRING_FORMATS.join(', ')}, array:<type>, ` +
  'any of these with a trailing "?" when the field is optional, ' +
  'or a JSON Schema fragment as JSON text starting with "{".';

/** One parsed schema string. */
export interface FieldType {
  /** The schema string as written in the definition. */
  source: string;
  /** What a value must be, for messages: `integer`, `string:email`, `array:integer`, `JSON Schema {…}`. */
  expected: string;
  /** `?` suffix: the field may be absent or null. */
  optional: boolean;
  /** Mini-language type or JSON Schema fragment. */
  kind: 'type' | 'fragment';
  /** The JSON Schema a present, non-null value is validated against. */
  jsonSchema: Record<string, unknown>;
  /** A string received for this field that parses as this type is coerced to it. */
  coerceTo: CoercionTarget | undefined;
  /** Whether a value of this type may be an object, so dotted fields below it make sense. */
  allowsChildren: boolean;
}

/** Result of {@link parseFieldType}: the type, or why the string is not one. */
export type FieldTypeResult = { ok: true; type: FieldType } | { ok: false; reason: string };

type TypeResult = { ok: true; expected: string; jsonSchema: Record<string, unknown>; typeName: SchemaTypeName } | { ok: false; reason: string };

function isSchemaType(name: string): name is SchemaTypeName {
  return (SCHEMA_TYPES as readonly string[]).includes(name);
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const similar = findSimilarNames(word, candidates);
  return similar.length === 0 ? '' : `; did you mean ${similar.map((s) => JSON.stringify(s)).join(' or ')}?`;
}

/** Parses a type expression without `?`: `integer`, `string:email`, `array:array:string`. */
function parseTypeExpression(text: string): TypeResult {
  const colon = text.indexOf(':');
  const head = colon === -1 ? text : text.slice(0, colon);
  if (!isSchemaType(head)) {
    if (head === '') return { ok: false, reason: `${JSON.stringify(text)} has no type before ":"` };
    return { ok: false, reason: `${JSON.stringify(head)} is not a known type${didYouMean(head, SCHEMA_TYPES)}` };
  }
  if (colon === -1) {
    return { ok: true, expected: head, typeName: head, jsonSchema: head === 'any' ? {} : { type: head } };
  }
  const rest = text.slice(colon + 1);
  if (head === 'string') {
    if (!(STRING_FORMATS as readonly string[]).includes(rest)) {
      return {
        ok: false,
        reason: `${JSON.stringify(rest)} is not a supported string format${didYouMean(rest, STRING_FORMATS)} (formats: ${STRING_FORMATS.join(', ')})`,
      };
    }
    return { ok: true, expected: text, typeName: 'string', jsonSchema: { type: 'string', format: rest } };
  }
  if (head === 'array') {
    if (rest === '') return { ok: false, reason: 'array:<type> needs an item type after "array:" (e.g. array:string)' };
    if (rest.startsWith('{')) {
      return { ok: false, reason: 'array:<type> takes a mini-language type; for a JSON Schema item use a fragment {"type":"array","items":{…}}' };
    }
    if (rest.endsWith('?')) {
      return { ok: false, reason: `array items cannot be optional ("${rest}"); a trailing "?" makes the whole field optional` };
    }
    const item = parseTypeExpression(rest);
    if (!item.ok) return { ok: false, reason: `in array item type: ${item.reason}` };
    return { ok: true, expected: text, typeName: 'array', jsonSchema: { type: 'array', items: item.jsonSchema } };
  }
  return { ok: false, reason: `"${head}" takes no ":<…>" suffix; only string:<format> and array:<type> do` };
}

/** The coercion target of a JSON Schema fragment: only when its `type` is number/integer/boolean and not string. */
function fragmentCoercion(schema: Record<string, unknown>): CoercionTarget | undefined {
  const declared = schema['type'];
  const types = typeof declared === 'string' ? [declared] : Array.isArray(declared) ? declared : [];
  if (types.includes('string')) return undefined;
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  return undefined;
}

function fragmentAllowsChildren(schema: Record<string, unknown>): boolean {
  const declared = schema['type'];
  if (declared === undefined) return true;
  return declared === 'object' || (Array.isArray(declared) && declared.includes('object'));
}

/**
 * Parses one schema string. Surrounding whitespace is ignored; everything else is exact (types are
 * lower-case, as in JSON Schema). Never throws.
 */
export function parseFieldType(source: string): FieldTypeResult {
  let text = source.trim();
  if (text === '') return { ok: false, reason: 'the schema string is empty' };
  let optional = false;
  if (text.endsWith('?')) {
    optional = true;
    text = text.slice(0, -1).trimEnd();
    if (text.endsWith('?')) return { ok: false, reason: 'more than one trailing "?"' };
    if (text === '') return { ok: false, reason: '"?" needs a type before it (e.g. string?)' };
  }

  if (text.startsWith('{')) {
    const parsed = parseJsonLocated(text);
    if (!parsed.ok) {
      return { ok: false, reason: `the JSON Schema fragment is not valid JSON at column ${parsed.error.column}: ${parsed.error.reason}` };
    }
    const fragment = parsed.value as Record<string, unknown>;
    return {
      ok: true,
      type: {
        source,
        expected: `JSON Schema ${text}`,
        optional,
        kind: 'fragment',
        jsonSchema: fragment,
        coerceTo: fragmentCoercion(fragment),
        allowsChildren: fragmentAllowsChildren(fragment),
      },
    };
  }

  const parsed = parseTypeExpression(text);
  if (!parsed.ok) return parsed;
  const { typeName } = parsed;
  return {
    ok: true,
    type: {
      source,
      expected: parsed.expected,
      optional,
      kind: 'type',
      jsonSchema: parsed.jsonSchema,
      coerceTo: typeName === 'number' || typeName === 'integer' || typeName === 'boolean' ? typeName : undefined,
      allowsChildren: typeName === 'object' || typeName === 'any',
    },
  };
}
