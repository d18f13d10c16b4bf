/**
 * Reads `argv` into a command and its flag values. Every mistake is one line naming what was wrong
 * and the nearest valid choice *for that command* (`unknown flag --defintions for execute; did you
 * mean --definitions?`), thrown as a UsageError (exit 2) with a code for `--json`.
 */
import { parseArgs } from 'node:util';
import { findSimilarNames } from '../support/similar-names.ts';
import type { CliCommand } from './cli-command.ts';
import { flagSynopsis, GLOBAL_FLAGS, type FlagSpec } from './cli-flags.ts';
import { UsageError } from './cli-input.ts';

export type FlagRecord = Record<string, string | boolean | undefined>;

export type CommandLine =
  /** No command given. */
  | { kind: 'usage' }
  | { kind: 'version' }
  /** `--help`, `help`, `help <command>`, `<command> --help`. */
  | { kind: 'help'; command?: CliCommand }
  | { kind: 'run'; command: CliCommand; positionals: string[]; values: FlagRecord };

type Token = ReturnType<typeof parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never;
type OptionToken = Extract<Token, { kind: 'option' }>;

/** `"a"` or `"a" or "b"`, for the did-you-mean of a name. */
const orList = (names: readonly string[], quote: (name: string) => string): string => names.map(quote).join(' or ');

/** Every flag any command takes, by name (a name means the same flag everywhere). */
function allFlags(commands: readonly CliCommand[]): Map<string, FlagSpec> {
  const flags = new Map<string, FlagSpec>();
  for (const spec of [...GLOBAL_FLAGS, ...commands.flatMap((c) => c.flags)]) {
    const known = flags.get(spec.name);
    if (known && known.type !== spec.type) throw new Error(`flag --${spec.name} is declared both as ${known.type} and as ${spec.type}`);
    if (!known) flags.set(spec.name, spec);
  }
  return flags;
}

/** `--wait 30` → `--wait=30`; a bare `--wait` → `--wait=` (its value was left out). Stops at `--`. */
function expandOptionalValues(argv: readonly string[], flags: Map<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const spec = arg.startsWith('--') && !arg.includes('=') ? flags.get(arg.slice(2)) : undefined;
    if (spec?.optionalValue === undefined) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && spec.optionalValue.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else {
      out.push(`${arg}=`);
    }
  }
  return out;
}

export function findCommand(name: string, commands: readonly CliCommand[]): CliCommand {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  const similar = findSimilarNames(name, commands.map((c) => c.name));
  const hint = similar.length > 0 ? `; did you mean ${orList(similar, (n) => JSON.stringify(n))}?` : '';
  throw new UsageError(`unknown command ${JSON.stringify(name)}${hint} (action-executor --help lists the commands)`, {
    code: 'UNKNOWN_COMMAND',
    context: { command: name, ...(similar[0] ? { suggestion: similar[0] } : {}) },
  });
}

function unknownFlag(token: OptionToken, command: CliCommand | undefined, known: Map<string, FlagSpec>, commands: readonly CliCommand[]): UsageError {
  const accepted = command ? [...command.flags, ...GLOBAL_FLAGS].map((f) => f.name) : [...known.keys()];
  const similar = token.rawName.startsWith('--') ? findSimilarNames(token.name, accepted) : [];
  const owners = command && known.has(token.name) ? commands.filter((c) => c.flags.some((f) => f.name === token.name)).map((c) => c.name) : [];
  const ownedBy = owners.length === 0 ? '' : ` (it is a flag of ${owners.slice(0, 3).join(', ')}${owners.length > 3 ? ', …' : ''})`;
  const where = command ? ` for ${command.name}` : '';
  const tail = similar.length > 0 ? `; did you mean ${orList(similar, (n) => `--${n}`)}?` : `${ownedBy}; see action-executor help${command ? ` ${command.name}` : ''}`;
  return new UsageError(`unknown flag ${token.rawName}${where}${tail}`, {
    code: 'UNKNOWN_FLAG',
    context: { flag: token.rawName, ...(command ? { command: command.name } : {}), ...(similar[0] ? { suggestion: `--${similar[0]}` } : {}) },
  });
}

/** The flag values from the tokens: booleans default to false, the last value of a string wins. */
function valuesOf(tokens: readonly OptionToken[], accepted: Map<string, FlagSpec>): FlagRecord {
  const values: FlagRecord = {};
  for (const spec of accepted.values()) values[spec.name] = spec.type === 'boolean' ? false : undefined;
  for (const token of tokens) {
    const spec = accepted.get(token.name);
    if (!spec) continue;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw new UsageError(`${token.rawName} takes no value (remove "=${token.value}")`, { code: 'INVALID_FLAG_VALUE', context: { flag: token.rawName } });
      }
      values[spec.name] = true;
      continue;
    }
    // A value that is itself a flag (`--db --json`) means the value was forgotten.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')) {
      throw new UsageError(`${token.rawName} needs a value (${flagSynopsis(spec)})`, { code: 'MISSING_FLAG_VALUE', context: { flag: token.rawName } });
    }
    values[spec.name] = token.value;
  }
  return values;
}

/** Parses `argv` for the given commands. Throws UsageError on any mistake. */
export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): CommandLine {
  const known = allFlags(commands);
  const options = Object.fromEntries([...known.values()].map((spec) => [spec.name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }]));
  const { tokens = [] } = parseArgs({ args: expandOptionalValues(argv, known), options, allowPositionals: true, strict: false, tokens: true });
  const positionals = tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
  const flagTokens = tokens.filter((t): t is OptionToken => t.kind === 'option');
  const has = (name: string): boolean => flagTokens.some((t) => t.name === name);
  const [name, ...rest] = positionals;

  if (name === undefined || name === 'help' || !commands.some((c) => c.name === name)) {
    // Without a command, a flag nobody takes is the mistake to report (it may have eaten the command).
    const stray = flagTokens.find((t) => !known.has(t.name));
    if (stray) throw unknownFlag(stray, undefined, known, commands);
  }
  if (name === undefined) {
    if (has('version')) return { kind: 'version' };
    return has('help') ? { kind: 'help' } : { kind: 'usage' };
  }
  if (name === 'help') return rest[0] === undefined ? { kind: 'help' } : { kind: 'help', command: findCommand(rest[0], commands) };
  const command = findCommand(name, commands);
  if (has('help')) return { kind: 'help', command };
  if (has('version')) return { kind: 'version' };
  const accepted = new Map([...GLOBAL_FLAGS, ...command.flags].map((spec) => [spec.name, spec]));
  const refused = flagTokens.find((t) => !accepted.has(t.name));
  if (refused) throw unknownFlag(refused, command, known, commands);
  return { kind: 'run', command, positionals: rest, values: valuesOf(flagTokens, accepted) };
}
