/**
 * The `action-executor` command line (DESIGN §8, docs/cli.md): reads the command line against the
 * command table, shows help and the version, runs the command, and turns any error into one line (and
 * one `{ "error": ErrorDetail }` document under --json) with its exit code (exit-codes.ts).
 */
import { readFileSync } from 'node:fs';
import { topLevelHelp, commandHelp } from './cli-help.ts';
import { reportCliError } from './cli-error-report.ts';
import { checkLogLevel } from './cli-logger.ts';
import { parseCommandLine, type CommandLine } from './command-line.ts';
import { COMMANDS } from './command-table.ts';
import { processIo, type CliIo } from './cli-io.ts';
import { EXIT } from './exit-codes.ts';

export type { CliIo } from './cli-io.ts';
export { EXIT } from './exit-codes.ts';

/** The version in package.json. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** `--json` anywhere before `--`: errors found while parsing are reported as JSON too. */
const asksForJson = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
};

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let line: CommandLine | undefined;
  try {
    line = parseCommandLine(argv, COMMANDS);
    switch (line.kind) {
      case 'usage':
        io.stderr.write(topLevelHelp(COMMANDS));
        return EXIT.usage;
      case 'version':
        io.stdout.write(`action-executor ${version()}\n`);
        return EXIT.ok;
      case 'help':
        io.stdout.write(line.command ? commandHelp(line.command) : topLevelHelp(COMMANDS));
        return EXIT.ok;
      case 'run':
        // A global flag: checked for every command, also those that happen not to log.
        checkLogLevel(line.values['log-level'] as string | undefined);
        // The values were read against this command's own flag list (command-line.ts), so they have
        // the shape its run() declares; the table erases that per-command type.
        return await line.command.run(line.positionals, line.values as never, io);
    }
  } catch (error) {
    const values = line?.kind === 'run' ? line.values : {};
    return reportCliError(error, { io, json: values['json'] === true || (line === undefined && asksForJson(argv)), debug: values['debug'] === true });
  }
}
