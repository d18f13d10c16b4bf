/**
 * How the CLI writes. Human lines are escaped for the terminal (ids, file names and API texts are
 * data: see terminal-text.ts) and only then coloured, so a colour is always ours and never an id's.
 * Colour is used only when stdout is a terminal and `NO_COLOR` is not set (https://no-color.org).
 * `--json` documents are written untouched: they are exact JSON.
 */
import { terminalLines } from '../support/terminal-text.ts';
import type { CliIo } from './cli-io.ts';

export interface CliOutput {
  /** Human lines on stdout (a text may hold several). */
  say(text: string): void;
  /** Human lines on stderr: warnings, notes and errors. */
  warn(text: string): void;
  /** One JSON document on stdout. */
  json(value: unknown): void;
  /** Text on stdout as it is (an export format such as Mermaid). */
  raw(text: string): void;
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const DEFAULT_COLOUR = '\u001b[39m';

/** True when `stream` is a terminal and the environment does not ask for no colour. */
export function wantsColour(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  return (stream as { isTTY?: boolean }).isTTY === true && (noColor === undefined || noColor === '');
}

/** A final status line (`✓ …` / `✗ …`) in green or red; every other line as it is. */
function paintStatus(line: string): string {
  if (line.startsWith('✓ ')) return `${GREEN}${line}${DEFAULT_COLOUR}`;
  if (line.startsWith('✗ ')) return `${RED}${line}${DEFAULT_COLOUR}`;
  return line;
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);
const escaped = (text: string): string[] => terminalLines(text.endsWith('\n') ? text.slice(0, -1) : text);

export function cliOutput(io: CliIo): CliOutput {
  const colour = wantsColour(io.stdout, io.env ?? process.env);
  return {
    say(text) {
      const lines = escaped(text);
      io.stdout.write(withNewline((colour ? lines.map(paintStatus) : lines).join('\n')));
    },
    warn(text) {
      io.stderr.write(withNewline(escaped(text).join('\n')));
    },
    json(value) {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    raw(text) {
      io.stdout.write(withNewline(text));
    },
  };
}
