/** `action-executor machine --format json|mermaid`: exports the execution machine, with no network. */
import { actionExecutionMachine } from '../../../machines/action-execution.ts';
import { defineCommand } from '../cli-command.ts';
import { UsageError } from '../cli-input.ts';
import { cliOutput } from '../cli-output.ts';
import { toJson, toMermaid } from '../machine-diagram.ts';
import { EXIT } from '../exit-codes.ts';

export const machineCommand = defineCommand({
  name: 'machine',
  summary: 'export the execution machine (no network)',
  usage: '--format json|mermaid',
  flags: [{ name: 'format', type: 'string', value: '<fmt>', description: 'machine export format: json | mermaid', default: 'mermaid' }],
  example: 'action-executor machine --format mermaid > machine.mmd',
  async run(_positionals, flags, io) {
    const format = flags.format ?? 'mermaid';
    if (format !== 'json' && format !== 'mermaid') throw new UsageError(`--format must be json or mermaid, not "${format}"`, { code: 'INVALID_FLAG_VALUE', context: { flag: '--format', value: format } });
    cliOutput(io).raw(format === 'json' ? toJson(actionExecutionMachine) : toMermaid(actionExecutionMachine));
    return Promise.resolve(EXIT.ok);
  },
});
