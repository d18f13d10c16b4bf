/**
 * Runs the CLI in-process against a temp directory with a definitions folder, capturing stdout and
 * stderr, for tests that check what a person (or a script reading `--json`) sees.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main, type CliIo } from '../../src/cli/cli.ts';
import type { ActionDefinition } from '../../src/schemas/action-definition.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a test may change about the CLI's surroundings. */
export interface CliRunIo {
  env?: NodeJS.ProcessEnv;
  clock?: CliIo['clock'];
  /** Make stdout claim to be a TTY (as `process.stdout.isTTY` does on a terminal). */
  tty?: boolean;
}

export interface CliSandbox {
  dir: string;
  /** Writes a file under the sandbox: strings as-is, anything else as JSON. */
  write(name: string, content: unknown): string;
  /** Runs `main` in-process; `io` adds an environment, a clock, or a stdout that says it is a terminal. */
  run(args: string[], stdin?: string | Buffer, io?: CliRunIo): Promise<CliResult>;
  /** `--definitions defs --db state/j.db --storage state/s --log-level silent` */
  flags(): string[];
  cleanup(): void;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export function createCliSandbox(definitions: ActionDefinition[]): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'ae-cli-'));
  mkdirSync(join(dir, 'defs'));
  const write = (name: string, content: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content));
    return file;
  };
  for (const definition of definitions) write(join('defs', `${definition.id}.json`), definition);
  return {
    dir,
    write,
    async run(args, stdin = '', io = {}) {
      const out = capture();
      const err = capture();
      if (io.tty) Object.assign(out.stream, { isTTY: true });
      const code = await main(args, {
        stdout: out.stream,
        stderr: err.stream,
        stdin: Readable.from([stdin]),
        cwd: dir,
        ...(io.env ? { env: io.env } : {}),
        ...(io.clock ? { clock: io.clock } : {}),
      });
      return { code, stdout: out.text(), stderr: err.text() };
    },
    flags: () => ['--definitions', 'defs', '--db', 'state/j.db', '--storage', 'state/s', '--log-level', 'silent'],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
