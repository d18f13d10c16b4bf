/**
 * Every command of the CLI, in the order `action-executor --help` lists them. A new command is a file
 * in `src/cli/commands/` exporting its CliCommand, plus one entry here: parsing, `--help`, the refusal
 * of flags it does not take and error reporting come with the entry.
 */
import type { CliCommand } from './cli-command.ts';
import { executeCommand } from './commands/execute.ts';
import { resumeCommand } from './commands/resume.ts';
import { showCommand } from './commands/show.ts';
import { listCommand } from './commands/list.ts';
import { machineCommand } from './commands/machine.ts';
import { uiCommand } from './commands/ui.ts';
import { validateCommand } from './commands/validate.ts';
import { demoCommand } from './commands/demo.ts';
import { replayCommand } from './commands/replay.ts';
import { planCommand } from './commands/plan.ts';

export const COMMANDS: readonly CliCommand[] = [
  executeCommand,
  resumeCommand,
  showCommand,
  listCommand,
  planCommand,
  replayCommand,
  machineCommand,
  uiCommand,
  validateCommand,
  demoCommand,
];
