/**
 * Where the executor finds action definitions by id: built from a list in memory, or from a
 * directory with one `*.json` definition per file. Every definition is checked against
 * ActionDefinitionSchema *and* its schema mini-language before it is accepted, so a typo is reported
 * at load time with the file and JSON path, not at 3 a.m. when the action first runs.
 */
import { actionError } from '../failure/errors.ts';
import { loadKeyedJsonDirectory, type JsonDirectoryOptions } from './json-directory.ts';
import { formatProblem, jsonPathOf, regexProblems, unknownKeyProblems, zodIssueProblems } from './load-problem.ts';
import type { LoadProblem } from './load-problem.ts';
import { ActionDefinitionSchema } from '../schemas/action-definition.ts';
import type { ActionDefinition } from '../schemas/action-definition.ts';
import { deepFreeze } from '../support/deep-freeze.ts';
import { schemaProblemText, tryCompileDefinitionSchemas } from '../validation/validation.ts';

/** Action definitions by id. Returned definitions are frozen: they are shared by every execution. */
export interface DefinitionRegistry {
  get(id: string): ActionDefinition | undefined;
  /** Every definition, in load order. */
  list(): ActionDefinition[];
}

/**
 * Checks one parsed JSON value as an action definition: the zod schema, unknown fields, regular
 * expressions in `knownErrors`, and every schema string. `source` names it in problems.
 */
export function checkDefinition(value: unknown, source: string): { definition: ActionDefinition | undefined; problems: LoadProblem[] } {
  if (Array.isArray(value)) {
    return { definition: undefined, problems: [{ file: source, path: '$', message: 'expected one action definition object per file, found an array' }] };
  }
  const parsed = ActionDefinitionSchema.safeParse(value);
  if (!parsed.success) return { definition: undefined, problems: zodIssueProblems(source, parsed.error.issues, value) };

  const definition = parsed.data;
  const problems = [
    ...unknownKeyProblems(source, ActionDefinitionSchema, value, definition, 'an action definition'),
    ...regexProblems(source, definition, definition.knownErrors.map((_, i) => ['knownErrors', i, 'pattern'])),
  ];
  const compiled = tryCompileDefinitionSchemas(definition);
  if (!compiled.ok) {
    for (const problem of compiled.problems) {
      problems.push({ file: source, path: jsonPathOf([problem.side, problem.field]), message: schemaProblemText(problem, 'reason') });
    }
  }
  if (problems.length > 0) return { definition: undefined, problems };
  return { definition: deepFreeze(definition), problems };
}

function registryOf(byId: ReadonlyMap<string, ActionDefinition>): DefinitionRegistry {
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
  };
}

/**
 * A registry over definitions given in code. They are validated like files (schema, mini-language)
 * and stored as frozen copies; the caller's objects are not touched.
 *
 * @throws ActionError `validation_failed`, code `INVALID_DEFINITION` listing every problem (one per
 *   line, `definitions[i] ("id"): $.path: message`), or `DUPLICATE_DEFINITION` for a repeated id.
 */
export function createDefinitionRegistry(defs: readonly ActionDefinition[]): DefinitionRegistry {
  const byId = new Map<string, ActionDefinition>();
  const problems: LoadProblem[] = [];
  defs.forEach((raw, index) => {
    const rawId = (raw as { id?: unknown } | null)?.id;
    const source = `definitions[${index}]${typeof rawId === 'string' ? ` ("${rawId}")` : ''}`;
    const { definition, problems: found } = checkDefinition(raw, source);
    problems.push(...found);
    if (definition === undefined) return;
    if (byId.has(definition.id)) {
      throw actionError('validation_failed', `${source} repeats the id "${definition.id}" of an earlier definition; each id may be registered once.`, {
        code: 'DUPLICATE_DEFINITION',
        context: { actionDefinitionId: definition.id, index: String(index) },
        suggestion: 'Remove the duplicate, or give one of them a different id.',
      });
    }
    byId.set(definition.id, definition);
  });
  if (problems.length > 0) {
    throw actionError('validation_failed', `Invalid action definitions:\n${problems.map(formatProblem).join('\n')}`, {
      code: 'INVALID_DEFINITION',
      context: { problems: String(problems.length), first: problems[0] === undefined ? '' : formatProblem(problems[0]) },
      suggestion: 'Fix the definitions at the JSON paths shown; see docs/schema-language.md for inputSchema/outputSchema.',
    });
  }
  return registryOf(byId);
}

/**
 * Loads every `*.json` file of `dir` (one definition per file, in file-name order). A file with any
 * problem is left out and reported; the others load. Only regular files up to `options.maxFileBytes`
 * are read (see json-directory.ts). A repeated id keeps the first file and reports
 * the second, naming both.
 */
export function loadDefinitionsFromDir(dir: string, options: JsonDirectoryOptions = {}): { registry: DefinitionRegistry; problems: LoadProblem[] } {
  const { byId, problems } = loadKeyedJsonDirectory(
    dir,
    (value, file) => {
      const { definition, problems: found } = checkDefinition(value, file);
      return { item: definition, problems: found };
    },
    { of: (definition) => definition.id, path: '$.id', name: 'id' },
    options,
  );
  return { registry: registryOf(byId), problems };
}
