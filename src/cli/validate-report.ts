/**
 * `validate --json`: what was checked and what is wrong, as one document a script can read — the
 * definitions and catalog entries that loaded, every problem with its file, JSON path and message, and
 * the verdict on the request file, checked exactly as `execute` would check it before journaling.
 */
import { isActionError } from '../failure/errors.ts';
import type { DefinitionRegistry } from '../definitions/definition-registry.ts';
import { zodIssueProblems, type LoadProblem } from '../definitions/load-problem.ts';
import { ActionExecuteRequestSchema, type ActionExecuteRequest } from '../schemas/job.ts';
import { checkWellFormedIds } from '../validation/well-formed-ids.ts';
import { checkRequestLimits, resolveRequestLimits } from '../validation/request-limits.ts';
import { readJsonInput, UsageError } from './cli-input.ts';

export interface RequestVerdict {
  /** The request file as given. */
  file: string;
  valid: boolean;
  /** The definition it runs (when valid). */
  actionDefinitionId?: string;
  problems: LoadProblem[];
}

export interface ValidateReport {
  /** No problem anywhere (the exit code is 0 exactly then). */
  valid: boolean;
  definitions: { dir: string; valid: string[] };
  /** Null when there is no catalog directory. */
  catalog: { dir: string; valid: string[] } | null;
  /** Problems of definition and catalog files (those files were not loaded). */
  problems: LoadProblem[];
  /** Null when no request file was given. */
  request: RequestVerdict | null;
}

/** A read error's message without the file name it starts with (the problem names the file). */
function withoutFile(message: string, file: string): string {
  return message.startsWith(file) ? message.slice(file.length).replace(/^:\s?/, '') : message;
}

/** What `execute` would refuse before journaling, each refusal as a problem with its JSON path. */
function requestProblems(request: ActionExecuteRequest, file: string): LoadProblem[] {
  try {
    checkWellFormedIds(request);
    checkRequestLimits(request, resolveRequestLimits());
    return [];
  } catch (error) {
    if (!isActionError(error)) throw error;
    const { detail } = error;
    if (detail.code === 'INVALID_REQUEST') {
      return Object.entries(detail.context).map(([path, why]) => ({ file, path, message: `not well-formed Unicode: ${why}` }));
    }
    return [{ file, path: detail.context['field'] ?? '$', message: detail.message }];
  }
}

/** Checks a request file as `execute` would: readable, JSON, the payload schema, the limits, a known definition. */
export async function checkRequestFile(path: string, shownAs: string, registry: DefinitionRegistry, stdin: NodeJS.ReadableStream): Promise<RequestVerdict> {
  const invalid = (problems: LoadProblem[]): RequestVerdict => ({ file: shownAs, valid: false, problems });
  let input: unknown;
  try {
    input = await readJsonInput(path, stdin, shownAs);
  } catch (error) {
    if (error instanceof UsageError) return invalid([{ file: shownAs, path: '$', message: withoutFile(error.message, shownAs) }]);
    throw error;
  }
  const parsed = ActionExecuteRequestSchema.safeParse(input);
  if (!parsed.success) return invalid(zodIssueProblems(shownAs, parsed.error.issues, input));
  const problems = requestProblems(parsed.data, shownAs);
  if (problems.length > 0) return invalid(problems);
  const id = parsed.data.action.actionDefinitionId;
  if (!registry.get(id)) {
    return invalid([{ file: shownAs, path: '$.action.actionDefinitionId', message: `no definition ${JSON.stringify(id)} (known: ${registry.list().map((d) => d.id).join(', ') || 'none'})` }]);
  }
  return { file: shownAs, valid: true, actionDefinitionId: id, problems: [] };
}
