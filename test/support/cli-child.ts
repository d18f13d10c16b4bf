/**
 * Runs the real `action-executor` binary in a child process and times it: when a line matching a
 * pattern appeared on stdout, and when the process exited. The hang of issue 12 (an inspector's
 * reconnect loop keeping the event loop alive) only shows in a real process, never in-process.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/action-executor.js');

export interface TimedRun {
  /** The exit code, or null when the process had to be killed at the deadline. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from spawn until a stdout line matched `mark` (undefined when none did). */
  markedAt?: number;
  /** ms from spawn until exit (or until the kill at the deadline). */
  exitedAt: number;
}

/** Spawns the CLI with `args` in `cwd`; kills it after `deadlineMs` so a hang fails a test instead of stalling it. */
export function runCliChild(args: string[], options: { cwd: string; mark: RegExp; deadlineMs: number; env?: NodeJS.ProcessEnv }): Promise<TimedRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (markedAt === undefined && options.mark.test(stdout)) markedAt = Date.now() - started;
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.deadlineMs);
  return new Promise((resolvePromise) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      resolvePromise({ code, stdout, stderr, exitedAt: Date.now() - started, ...(markedAt === undefined ? {} : { markedAt }) });
    });
  });
}
