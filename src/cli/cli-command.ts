/**
 * One CLI command: its name, its help (summary, usage, flags, example) and what it runs. Adding a
 * command is one file in `src/cli/commands/` exporting one of these, plus its entry in
 * command-table.ts; parsing, `--help`, flag checking and error reporting come with it.
 */
import type { CliIo } from './cli-io.ts';
import type { FlagSpec, FlagValues, GlobalFlagValues } from './cli-flags.ts';

export interface CliCommand<F extends readonly FlagSpec[] = readonly FlagSpec[]> {
  /** What the user types: `execute`. */
  readonly name: string;
  /** One line for the command list of `action-executor --help`. */
  readonly summary: string;
  /** The arguments after the name, as help shows them: `<request.json|->`. */
  readonly usage: string;
  /** Every flag the command takes besides the global ones (GLOBAL_FLAGS); others are refused. */
  readonly flags: F;
  /** A command line that works, shown by `--help` (several lines allowed). */
  readonly example: string;
  /** A few sentences for its help page, after the usage line. @default none */
  readonly details?: string;
  /** Runs the command; returns the exit code (EXIT). Throwing reports the error (see cli-error-report.ts). */
  run(positionals: string[], flags: FlagValues<F> & GlobalFlagValues, io: CliIo): Promise<number>;
}

/** Declares a command with its flag values typed from its flag list. */
export function defineCommand<const F extends readonly FlagSpec[]>(command: CliCommand<F>): CliCommand {
  return command;
}
