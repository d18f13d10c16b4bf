/**
 * `ApiCatalog` implementations (spec §4.2) over entries known up front: given in code, or read from a
 * directory with one `*.json` entry per file. Entries go through ApiCatalogEntrySchema (so quirk
 * defaults apply), unknown fields and broken regular expressions are reported at load time with the
 * file and JSON path, and the good files still load.
 */
import { actionError } from '../failure/errors.ts';
import { deepFreeze } from '../support/deep-freeze.ts';
import { loadKeyedJsonDirectory, type JsonDirectoryOptions } from '../definitions/json-directory.ts';
import { formatProblem, regexProblems, unknownKeyProblems, zodIssueProblems } from '../definitions/load-problem.ts';
import type { LoadProblem } from '../definitions/load-problem.ts';
import { ApiCatalogEntrySchema } from '../schemas/catalog.ts';
import type { ApiCatalog, ApiCatalogEntry, ApiCatalogEntryInput } from '../schemas/catalog.ts';

/** The JSON paths of every regular expression an entry carries (all compiled case-insensitively later). */
function patternPaths(entry: ApiCatalogEntry): PropertyKey[][] {
  const paths: PropertyKey[][] = [];
  entry.errorMappings.forEach((mapping, i) => {
    if (mapping.pattern !== undefined) paths.push(['errorMappings', i, 'pattern']);
    if (mapping.header !== undefined) paths.push(['errorMappings', i, 'header', 'pattern']);
  });
  entry.rateLimiting?.detection.bodyPatterns?.forEach((_, i) => paths.push(['rateLimiting', 'detection', 'bodyPatterns', i]));
  return paths;
}

/** Checks one parsed JSON value as a catalog entry; `source` names it in problems. */
export function checkCatalogEntry(value: unknown, source: string): { entry: ApiCatalogEntry | undefined; problems: LoadProblem[] } {
  if (Array.isArray(value)) {
    return { entry: undefined, problems: [{ file: source, path: '$', message: 'expected one API catalog entry object per file, found an array' }] };
  }
  const parsed = ApiCatalogEntrySchema.safeParse(value);
  if (!parsed.success) return { entry: undefined, problems: zodIssueProblems(source, parsed.error.issues, value) };
  const entry = parsed.data;
  const problems = [
    ...unknownKeyProblems(source, ApiCatalogEntrySchema, value, entry, 'an API catalog entry'),
    ...regexProblems(source, entry, patternPaths(entry)),
  ];
  return problems.length > 0 ? { entry: undefined, problems } : { entry: deepFreeze(entry), problems };
}

function catalogOf(byId: ReadonlyMap<string, ApiCatalogEntry>): ApiCatalog {
  return {
    getApiEntry: async (apiId) => byId.get(apiId) ?? null,
    getAllApis: async () => [...byId.keys()],
  };
}

/**
 * A catalog over entries given in code, parsed through ApiCatalogEntrySchema (quirk defaults applied)
 * and frozen; the caller's objects are not touched.
 *
 * @throws ActionError `validation_failed`, code `INVALID_CATALOG_ENTRY` listing every problem, or
 *   `DUPLICATE_API` for a repeated apiId.
 */
export function createInMemoryCatalog(entries: readonly ApiCatalogEntryInput[]): ApiCatalog {
  const byId = new Map<string, ApiCatalogEntry>();
  const problems: LoadProblem[] = [];
  entries.forEach((raw, index) => {
    const rawId = (raw as { apiId?: unknown } | null)?.apiId;
    const source = `entries[${index}]${typeof rawId === 'string' ? ` ("${rawId}")` : ''}`;
    const { entry, problems: found } = checkCatalogEntry(raw, source);
    problems.push(...found);
    if (entry === undefined) return;
    if (byId.has(entry.apiId)) {
      throw actionError('validation_failed', `${source} repeats the apiId "${entry.apiId}" of an earlier entry; each API may appear once.`, {
        code: 'DUPLICATE_API',
        context: { apiId: entry.apiId, index: String(index) },
        suggestion: 'Merge the two entries, or give one of them a different apiId.',
      });
    }
    byId.set(entry.apiId, entry);
  });
  if (problems.length > 0) {
    throw actionError('validation_failed', `Invalid API catalog entries:\n${problems.map(formatProblem).join('\n')}`, {
      code: 'INVALID_CATALOG_ENTRY',
      context: { problems: String(problems.length), first: problems[0] === undefined ? '' : formatProblem(problems[0]) },
      suggestion: 'Fix the entries at the JSON paths shown so they match ApiCatalogEntrySchema.',
    });
  }
  return catalogOf(byId);
}

/**
 * Loads every `*.json` file of `dir` (one entry per file, in file-name order). A file with any problem
 * is left out and reported; the others load. Only regular files up to `options.maxFileBytes` are read
 * (see json-directory.ts). A repeated apiId keeps the first file and reports the
 * second, naming both.
 */
export function loadCatalogFromDir(dir: string, options: JsonDirectoryOptions = {}): { catalog: ApiCatalog; problems: LoadProblem[] } {
  const { byId, problems } = loadKeyedJsonDirectory(
    dir,
    (value, file) => {
      const { entry, problems: found } = checkCatalogEntry(value, file);
      return { item: entry, problems: found };
    },
    { of: (entry) => entry.apiId, path: '$.apiId', name: 'apiId' },
    options,
  );
  return { catalog: catalogOf(byId), problems };
}
