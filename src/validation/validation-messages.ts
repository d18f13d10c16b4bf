/**
 * Turns ajv's errors for one field into sentences that name the field path, what was expected and
 * what arrived, and joins field problems into one message. Kept apart from validation.ts so the
 * wording can be read (and changed) in one place.
 */
import type { ErrorObject } from 'ajv';
import { describeValue } from '../support/describe-value.ts';
import type { FieldType } from './schema-language.ts';

/** One field-level finding of input or output validation. */
export interface FieldProblem {
  /** The field as declared in the schema (`userId`, `data.user.id`). */
  field: string;
  kind: 'missing' | 'mistyped';
  /** One sentence, without a final period, naming the field in backticks. */
  text: string;
  /** Similar names found in the response for a missing field (rename hint). */
  similar?: string[];
  /** Further declared fields this problem also stands for (all below the same missing object). */
  related?: string[];
}

/** At most this many ajv errors are reported per field; the rest are counted. */
const MAX_ERRORS_PER_FIELD = 3;

/** `/0/name` → `[0].name`, so a location reads like the path a person would write. */
export function pointerToSuffix(instancePath: string): string {
  if (instancePath === '') return '';
  return instancePath
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}

/** The value under a JSON pointer, or undefined. */
function valueAtPointer(root: unknown, instancePath: string): unknown {
  if (instancePath === '') return root;
  let node: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function lastName(location: string): string {
  return location.split(/[.[\]]/).filter((s) => s !== '').at(-1) ?? location;
}

/**
 * Sentences for the ajv errors of one field value. `field` is the declared field; errors deeper in
 * the value (array items, fragment properties) are located below it (`tags[2]`, `address.zip`).
 */
export function describeAjvErrors(
  field: string,
  type: FieldType,
  value: unknown,
  errors: readonly ErrorObject[],
  redact?: (text: string) => string,
): string[] {
  const sentences: string[] = [];
  for (const error of errors.slice(0, MAX_ERRORS_PER_FIELD)) {
    const location = field + pointerToSuffix(error.instancePath);
    const received = valueAtPointer(value, error.instancePath);
    const shown = describeValue(received, { fieldName: lastName(location), redact });
    const atRoot = error.instancePath === '';
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'type': {
        const expected = atRoot && type.kind === 'type' ? type.expected : String(params['type']);
        sentences.push(`\`${location}\` expected ${expected}${atRoot && type.optional ? ' or null' : ''}, received ${shown}`);
        break;
      }
      case 'format': {
        const expected = atRoot && type.kind === 'type' ? type.expected : `a string in ${String(params['format'])} format`;
        sentences.push(`\`${location}\` expected ${expected}, received ${shown}`);
        break;
      }
      case 'required':
        sentences.push(`\`${location}.${String(params['missingProperty'])}\` is missing`);
        break;
      case 'additionalProperties':
        sentences.push(`\`${location}\` has a property the schema does not allow: \`${String(params['additionalProperty'])}\``);
        break;
      case 'enum':
        sentences.push(`\`${location}\` must be one of ${JSON.stringify(params['allowedValues'])}, received ${shown}`);
        break;
      default:
        sentences.push(`\`${location}\` ${error.message ?? `fails "${error.keyword}"`}, received ${shown}`);
    }
  }
  if (errors.length > MAX_ERRORS_PER_FIELD) {
    sentences.push(`\`${field}\` has ${errors.length - MAX_ERRORS_PER_FIELD} more problem(s) not shown`);
  }
  return sentences;
}

/** `header: a.` or `header (2 problems): 1) a. 2) b?` — every item ends as a sentence. */
export function joinProblems(header: string, problems: readonly FieldProblem[]): string {
  const sentence = (text: string): string => (/[.?!]$/.test(text) ? text : `${text}.`);
  const [only] = problems;
  if (problems.length === 1 && only !== undefined) return `${header}: ${sentence(only.text)}`;
  return `${header} (${problems.length} problems): ${problems.map((p, i) => `${i + 1}) ${sentence(p.text)}`).join(' ')}`;
}

/** The distinct declared field names of a list of problems, in order, joined for `context`. */
export function fieldList(problems: readonly FieldProblem[], kind?: FieldProblem['kind']): string {
  const names = problems.filter((p) => kind === undefined || p.kind === kind).flatMap((p) => [p.field, ...(p.related ?? [])]);
  return [...new Set(names)].join(', ');
}
