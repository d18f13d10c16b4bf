/**
 * Plan validation of `${...}` references (issue 11): an input or condition may read only the outputs
 * of the actions it (transitively) depends on, because only those are sure to have ended, and only
 * those are handed to it as `previousResults`; an expected-outcome check may read any action of the
 * plan. Credentials and environment variables are refused here as the resolver refuses them at run
 * time, so the plan author hears about it before the first request is sent.
 */
import { jsonPathOf } from '../definitions/load-problem.ts';
import { formatPath, parseTemplate, type Reference } from '../references/reference-syntax.ts';
import { didYouMean } from '../support/similar-names.ts';
import { compileOutcomePattern, OPERATORS_WITH_VALUE } from './plan-outcome.ts';
import type { PlanGraph } from './plan-graph.ts';

/** A template the plan author wrote, with where it is. */
export interface RawReferenceSite {
  kind: 'input' | 'condition';
  /** JSON path of the template, e.g. `$.actions[1].inputs.userId`. */
  path: string;
  template: string;
}

/** One problem, as plan-validation.ts reports it. */
interface Problem {
  path: string;
  message: string;
}

const SYNTAX_HELP = 'references look like ${actionId.output.field} or ${actionId.output.items[0].name}; write $${ for a literal "${"';

type Parsed = { ok: true; refs: { ref: Reference; raw: string }[] } | { ok: false; message: string };

function parseRefs(template: string): Parsed {
  const parsed = parseTemplate(template);
  if (!parsed.ok) {
    const { raw, expected, position, found } = parsed.error;
    return { ok: false, message: `malformed reference ${raw}: expected ${expected} at character ${position + 1}, found ${found} (${SYNTAX_HELP})` };
  }
  return { ok: true, refs: parsed.parts.flatMap((part) => (part.kind === 'ref' ? [{ ref: part.ref, raw: part.raw }] : [])) };
}

function notAnActionProblem(path: string, raw: string, ref: Reference, where: 'input' | 'condition' | 'check'): Problem | undefined {
  if (ref.kind === 'env') return { path, message: `${raw}: payloads can never read environment variables; pass the value as a literal input` };
  if (ref.kind === 'credential') {
    return where === 'input'
      ? { path, message: `${raw}: credentials may only be used in a definition's authentication fields and headers, never in inputs (there they would end up in URLs, bodies and logs)` }
      : { path, message: `${raw}: a ${where === 'check' ? 'check' : 'condition'} reads an action's output, like \${a.output.field}, never a credential` };
  }
  return undefined;
}

/**
 * Problems with the references in one action's inputs and condition. `dependenciesPath` is where the
 * action lists its dependencies, named in the suggestion to add one.
 */
export function referenceProblems(
  actionId: string,
  dependenciesPath: string,
  sites: readonly RawReferenceSite[],
  graph: PlanGraph,
  ids: ReadonlySet<string>,
): Problem[] {
  const problems: Problem[] = [];
  const reachable = graph.transitiveDependencies(actionId);
  for (const site of sites) {
    if (!site.template.includes('${')) continue;
    const parsed = parseRefs(site.template);
    if (!parsed.ok) {
      problems.push({ path: site.path, message: parsed.message });
      continue;
    }
    for (const { ref, raw } of parsed.refs) {
      const refused = notAnActionProblem(site.path, raw, ref, site.kind);
      if (refused !== undefined) {
        problems.push(refused);
        continue;
      }
      if (ref.kind !== 'action' || reachable.has(ref.actionId)) continue;
      const target = ref.actionId;
      let message: string;
      if (target === actionId) {
        message = `${raw} reads the output of "${actionId}" itself; an action can read only the outputs of actions it depends on`;
      } else if (!ids.has(target)) {
        message = `${raw} reads the output of "${target}", which is not an action of this plan${didYouMean(target, ids)}`;
      } else if (graph.primaryOf(target) !== undefined) {
        const primary = graph.primaryOf(target) as string;
        const instead = `\${${formatPath(`${primary}.output`, ref.path)}}`;
        const add = reachable.has(primary) ? '' : ` and add "${primary}" to ${dependenciesPath}`;
        message = `${raw} reads the output of "${target}", the alternative of "${primary}", which runs only in its place; read ${instead} instead (it holds "${target}"'s output when "${target}" stands in)${add}`;
      } else {
        message = `${raw} reads the output of "${target}", which "${actionId}" does not depend on (directly or transitively), so it may not have run yet; add "${target}" to ${dependenciesPath}`;
      }
      problems.push({ path: site.path, message });
    }
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems with `expectedOutcome.validations`: each reference must read an action of the plan; an
 * operator that compares needs a `value`; a `matches` value must compile as an RE2 pattern.
 */
export function outcomeReferenceProblems(expectedOutcome: unknown, ids: ReadonlySet<string>): Problem[] {
  const validations = isRecord(expectedOutcome) && Array.isArray(expectedOutcome['validations']) ? (expectedOutcome['validations'] as unknown[]) : [];
  const problems: Problem[] = [];
  validations.forEach((check, index) => {
    if (!isRecord(check)) return;
    const at = (field: string): string => jsonPathOf(['expectedOutcome', 'validations', index, field]);
    const reference = check['reference'];
    if (typeof reference === 'string' && reference.includes('${')) {
      const parsed = parseRefs(reference);
      if (!parsed.ok) problems.push({ path: at('reference'), message: parsed.message });
      for (const { ref, raw } of parsed.ok ? parsed.refs : []) {
        const refused = notAnActionProblem(at('reference'), raw, ref, 'check');
        if (refused !== undefined) problems.push(refused);
        else if (ref.kind === 'action' && !ids.has(ref.actionId)) {
          problems.push({ path: at('reference'), message: `${raw} reads the output of "${ref.actionId}", which is not an action of this plan${didYouMean(ref.actionId, ids)}` });
        }
      }
    }
    const operator = check['operator'];
    const value = check['value'];
    if (typeof operator !== 'string' || !(OPERATORS_WITH_VALUE as readonly string[]).includes(operator)) return;
    if (value === undefined) {
      problems.push({ path: at('value'), message: `operator "${operator}" compares the output with a value, but this check gives none` });
    } else if (operator === 'matches' && typeof value === 'string') {
      const compiled = compileOutcomePattern(value);
      if (typeof compiled === 'string') problems.push({ path: at('value'), message: `is not a valid pattern: ${compiled}` });
    }
  });
  return problems;
}
