/**
 * The help pages, made from the command table, so a command's help cannot drift from the flags it
 * takes: `action-executor --help` lists the commands, `action-executor help <command>` (or
 * `<command> --help`) shows one command's usage, flags and example.
 */
import type { CliCommand } from './cli-command.ts';
import { flagSynopsis, GLOBAL_FLAGS, STATE_FLAGS, type FlagSpec } from './cli-flags.ts';

const PROGRAM = 'action-executor';

/** The widest left column before the text wraps onto its own line. */
const COLUMN = 38;

/** Rows as two columns; a left cell wider than `width` puts its text on the next line. */
function columns(rows: readonly (readonly [string, string])[], width: number): string[] {
  return rows.flatMap(([left, right]) =>
    left.length > width ? [`  ${left}`, `  ${' '.repeat(width)}  ${right}`] : [`  ${left.padEnd(width)}  ${right}`],
  );
}

const widthOf = (lefts: readonly string[]): number => Math.min(COLUMN, Math.max(...lefts.map((left) => left.length)));

const flagRow = (spec: FlagSpec): readonly [string, string] => [flagSynopsis(spec), `${spec.description}${spec.default ? ` (default: ${spec.default})` : ''}`];

const indent = (text: string): string[] => text.split('\n').map((line) => `  ${line}`);

/**
 * One command's page: usage, what it does, its own flags, the project flags it shares with the other
 * project commands (STATE_FLAGS), the global flags, an example.
 */
export function commandHelp(command: CliCommand): string {
  const shared = new Set<string>(STATE_FLAGS.map((spec) => spec.name));
  const own = command.flags.filter((spec) => !shared.has(spec.name));
  const project = command.flags.filter((spec) => shared.has(spec.name));
  const width = widthOf([...command.flags, ...GLOBAL_FLAGS].map(flagSynopsis));
  const section = (title: string, flags: readonly FlagSpec[]): string[] => (flags.length > 0 ? ['', title, ...columns(flags.map(flagRow), width)] : []);
  return [
    `Usage: ${PROGRAM} ${command.name}${command.usage ? ` ${command.usage}` : ''} [options]`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
    ...section('Options:', own),
    ...section('Project options (the same for every command that works on a project):', project),
    ...section('Global options:', GLOBAL_FLAGS),
    '',
    'Example:',
    ...indent(command.example),
    '',
  ].join('\n');
}

/** The top-level page: every command with its one-line summary. */
export function topLevelHelp(commands: readonly CliCommand[]): string {
  const entries = [...commands.map((c) => [`${c.name}${c.usage ? ` ${c.usage}` : ''}`, c.summary] as const), ['help [<command>]', "a command's flags and an example"] as const];
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...columns(entries, widthOf(entries.map(([left]) => left))),
    '',
    'Global options:',
    ...columns(GLOBAL_FLAGS.map(flagRow), widthOf(GLOBAL_FLAGS.map(flagSynopsis))),
    '',
    `\`${PROGRAM} help <command>\` (or \`${PROGRAM} <command> --help\`) shows a command's flags and an example.`,
    'Exit codes: 0 completed or skipped, 1 failed, 2 bad input or usage, 3 internal error, 4 busy (another',
    'live process drives the execution), 5 a plan awaits confirmation, 130 interrupted by a signal (resume',
    'carries on). docs/cli.md has the details.',
    '',
  ].join('\n');
}
