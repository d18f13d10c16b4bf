/**
 * What a CLI run talks to. `main` takes it as a parameter, so tests run the whole CLI in-process with
 * captured streams, their own environment and their own clock.
 */
import { systemClock, type Clock } from '../support/clock.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Relative paths in flags and arguments are resolved against it. */
  cwd: string;
  /** Read for `NO_COLOR`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * The clock of the CLI's own waiting (`--wait`'s backoff); the executor keeps the system clock.
   * @default the system clock
   */
  clock?: Clock;
}

/** The real process's streams, directory and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env, clock: systemClock };
}
