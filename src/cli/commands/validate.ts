/**
 * `action-executor validate [request.json]`: loads every definition and catalog entry and reports each
 * bad file with its JSON path and what was expected (the good files still load); with a request file,
 * refuses what `execute` would refuse before journaling. Exit 2 when anything is wrong. `--json`
 * prints the whole report as one document (validate-report.ts).
 */
import { resolve } from 'node:path';
import { formatProblem } from '../../definitions/load-problem.ts';
import { ActionExecuteRequestSchema } from '../../schemas/job.ts';
import { checkWellFormedIds } from '../../validation/well-formed-ids.ts';
import { checkRequestLimits, resolveRequestLimits } from '../../validation/request-limits.ts';
import { defineCommand } from '../cli-command.ts';
import { FLAGS, STATE_FLAGS } from '../cli-flags.ts';
import { readJsonInput, parseWith, UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { loadCatalog, loadDefinitions } from '../cli-project.ts';
import { checkRequestFile, type ValidateReport } from '../validate-report.ts';
import { EXIT } from '../exit-codes.ts';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check definitions, catalog and optionally a request',
  usage: '[request.json]',
  flags: [...STATE_FLAGS, { ...FLAGS.json, description: 'print the report (definitions, catalog entries, problems, the request verdict) as JSON' }],
  example: 'action-executor validate request.json --definitions examples/definitions --catalog examples/catalog',
  async run(positionals, flags, io) {
    const out = cliOutput(io);
    const { registry, problems, dir } = loadDefinitions(flags, io);
    const catalog = loadCatalog(flags, io);
    const all = [...problems, ...catalog.problems];
    const requestPath = positionals[0];
    if (flags.json) {
      const request = requestPath ? await checkRequestFile(resolve(io.cwd, requestPath), requestPath, registry, io.stdin) : null;
      const report: ValidateReport = {
        valid: all.length === 0 && (request?.valid ?? true),
        definitions: { dir, valid: registry.list().map((d) => d.id) },
        catalog: catalog.catalog ? { dir: catalog.dir, valid: await catalog.catalog.getAllApis() } : null,
        problems: all,
        request,
      };
      out.json(report);
      return report.valid ? EXIT.ok : EXIT.usage;
    }
    for (const problem of all) out.warn(`error: ${formatProblem(problem)}`);
    out.say(`${registry.list().length} definition(s) valid in ${dir}${catalog.catalog ? `, ${(await catalog.catalog.getAllApis()).length} catalog entr(ies) valid` : ''}`);
    if (requestPath) {
      const request = parseWith(ActionExecuteRequestSchema, await readJsonInput(resolve(io.cwd, requestPath), io.stdin, requestPath), requestPath);
      // What execute would refuse before journaling, validate refuses too.
      checkWellFormedIds(request);
      checkRequestLimits(request, resolveRequestLimits());
      if (!registry.get(request.action.actionDefinitionId)) {
        throw new UsageError(`${requestPath}: $.action.actionDefinitionId: no definition "${request.action.actionDefinitionId}" (known: ${registry.list().map((d) => d.id).join(', ') || 'none'})`);
      }
      out.say(`${requestPath}: valid request for ${request.action.actionDefinitionId}`);
    }
    return all.length > 0 ? EXIT.usage : EXIT.ok;
  },
});
