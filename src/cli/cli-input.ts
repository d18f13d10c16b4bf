/**
 * Reading the CLI's JSON inputs with errors a person can act on: the file, the line and column of a
 * syntax error, or the JSON path and what was expected. Never a stack trace.
 */
import { open } from 'node:fs/promises';
import { DEFAULT_REQUEST_LIMITS } from '../validation/request-limits.ts';
import type { z } from 'zod';
import { formatZodIssues } from '../support/zod-issues.ts';

/**
 * A problem with what the user gave us (exit code 2). `code` and `context` go into the `--json` error
 * object, so a script can tell a mistyped flag (`UNKNOWN_FLAG`) from a bad file (`BAD_INPUT`).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** @default 'BAD_INPUT' */
  readonly code: string;
  readonly context: Record<string, string>;

  constructor(message: string, options: { code?: string; context?: Record<string, string> } = {}) {
    super(message);
    this.code = options.code ?? 'BAD_INPUT';
    this.context = options.context ?? {};
  }
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

/** How much a JSON input may hold, and how an error names the limit. */
export interface InputCap {
  maxBytes: number;
  /** What is limited, as the message says it: `requests` → `requests are limited to N bytes`. */
  what: string;
  /** The option that sets the limit, shown in parentheses. */
  option?: string;
}

/** Request files and stdin: the executor's request limit (docs/limits.md), checked before parsing. */
export const REQUEST_INPUT_CAP: InputCap = { maxBytes: DEFAULT_REQUEST_LIMITS.maxRequestBytes, what: 'requests', option: 'limits.maxRequestBytes' };

/** Reads a stream to its end, or stops once it passes `maxBytes` (a pipe or /dev/zero never ends). */
async function readCapped(stream: AsyncIterable<unknown>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > maxBytes) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** `requests are limited to 1048576 bytes (limits.maxRequestBytes)` */
const limitText = (cap: InputCap): string => `${cap.what} are limited to ${cap.maxBytes} bytes${cap.option === undefined ? '' : ` (${cap.option})`}`;

const tooMuch = (source: string, cap: InputCap): UsageError => new UsageError(`${source}: more than ${cap.maxBytes} bytes arrived; ${limitText(cap)}`);

/**
 * Reads a JSON file (or stdin for `-`); errors name it as `shownAs` (what the user typed). At most
 * `cap.maxBytes` are read: a regular file is measured before it is read, anything else (a pipe,
 * process substitution, a device) is read until it ends or passes the cap.
 */
export async function readJsonInput(path: string, stdin: NodeJS.ReadableStream = process.stdin, shownAs = path, cap: InputCap = REQUEST_INPUT_CAP): Promise<unknown> {
  if (path === '-') {
    const bytes = await readCapped(stdin, cap.maxBytes);
    if (bytes === undefined) throw tooMuch('<stdin>', cap);
    return parseJsonText(bytes.toString('utf8'), '<stdin>');
  }
  let bytes: Buffer | undefined;
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if (info.isFile() && info.size > cap.maxBytes) {
        throw new UsageError(`${shownAs}: the file is ${info.size} bytes; ${limitText(cap)}`);
      }
      bytes = await readCapped(handle.createReadStream({ autoClose: false }), cap.maxBytes);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${shownAs}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  if (bytes === undefined) throw new UsageError(`${shownAs}: more than ${cap.maxBytes} bytes arrived; ${limitText(cap)}`);
  return parseJsonText(bytes.toString('utf8'), shownAs);
}

/** Validates with a zod schema, reporting every issue as `file: $.path: message`. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, source: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${source}: does not match the expected shape:\n${formatZodIssues(result.error.issues)}`);
}
