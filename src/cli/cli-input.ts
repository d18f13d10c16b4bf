/**
 * Reading the CLI's JSON inputs with errors a person can act on: the file, the line and column of a
 * syntax error, or the JSON path and what was expected. Never a stack trace.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { formatZodIssues } from '../support/zod-issues.ts';

/** A problem with what the user gave us (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - before.lastIndexOf('\n') };
}

/** Parses JSON text, reporting `file:line:column` on a syntax error. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = /position (\d+)/.exec(message);
    const where = match ? lineAndColumn(text, Number(match[1])) : undefined;
    throw new UsageError(`${source}${where ? `:${where.line}:${where.column}` : ''}: not valid JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`);
  }
}

/** Reads a JSON file (or stdin for `-`); errors name it as `shownAs` (what the user typed). */
export async function readJsonInput(path: string, stdin: NodeJS.ReadableStream = process.stdin, shownAs = path): Promise<unknown> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return parseJsonText(Buffer.concat(chunks).toString('utf8'), '<stdin>');
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${shownAs}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  return parseJsonText(text, shownAs);
}

/** Validates with a zod schema, reporting every issue as `file: $.path: message`. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, source: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${source}: does not match the expected shape:\n${formatZodIssues(result.error.issues)}`);
}
