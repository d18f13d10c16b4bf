/**
 * Issue 13 "unbounded inputs": a 10 MB string input grew RSS to 408 MB and the journal by 31 MB.
 * Requests and input values have documented, configurable size limits (docs/limits.md), refused as
 * bad input naming the limit, the field and its size, before anything is journaled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isActionError, type ActionError } from '../src/failure/errors.ts';
import { EXIT } from '../src/cli/cli.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { DEFAULT_REQUEST_LIMITS } from '../src/validation/request-limits.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';
import type { ActionExecutorOptions } from '../src/execution/executor.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

let api: ScriptedApi;
let h: Harness | undefined;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await api.close();
});

async function refusal(promise: Promise<unknown>): Promise<ActionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isActionError(error)) throw new Error(`expected an ActionError, got ${String(error)}`);
  ErrorDetailSchema.parse(error.detail);
  return error;
}

function executor(extra: Partial<ActionExecutorOptions> = {}) {
  h = createHarness([definition(api.url)], extra);
  return h.executor;
}

describe('request and input size limits (library)', () => {
  it('the defaults are 1 MiB per request and 256 KiB per input value', () => {
    expect(DEFAULT_REQUEST_LIMITS).toEqual({ maxRequestBytes: MiB, maxInputBytes: 256 * KiB });
  });

  it('a 10 MB string input is refused as REQUEST_TOO_LARGE naming the limit and the size; nothing is journaled', async () => {
    const request = executeRequest('get_user', 'get-user', { userId: 'x'.repeat(10 * 1000 * 1000) });
    const error = await refusal(executor().execute(request));
    expect(error.detail).toMatchObject({ category: 'validation_failed', code: 'REQUEST_TOO_LARGE', context: { limit: 'limits.maxRequestBytes', maxBytes: String(MiB) } });
    expect(Number(error.detail.context.size)).toBeGreaterThan(10_000_000);
    expect(error.message).toContain(`at most ${MiB} bytes (limits.maxRequestBytes)`);
    expect((await h!.executor.journal.listExecutions()).records).toEqual([]);
    expect(api.hits).toEqual([]);
  });

  it('a 300 KiB input value is refused as INPUT_TOO_LARGE naming the field, its size and the limit; nothing is journaled', async () => {
    const request = executeRequest('get_user', 'get-user', { userId: 'u'.repeat(300 * KiB) });
    const error = await refusal(executor().execute(request));
    expect(error.detail).toMatchObject({
      category: 'validation_failed',
      code: 'INPUT_TOO_LARGE',
      context: { field: '$.action.inputs.userId', limit: 'limits.maxInputBytes', maxBytes: String(256 * KiB), size: String(300 * KiB) },
    });
    expect(error.message).toContain(`$.action.inputs.userId is ${300 * KiB} bytes`);
    expect((await h!.executor.journal.listExecutions()).records).toEqual([]);
  });

  it('an input is measured after its references are resolved: five copies of a 100 kB previous output are refused', async () => {
    const blob = 'b'.repeat(100_000);
    const request = executeRequest('get_user', 'get-user', { userId: '${prev.output.blob}'.repeat(5) }, { context: { credentials: {}, previousResults: { prev: JSON.stringify({ blob }) } } });
    const error = await refusal(executor().execute(request));
    expect(error.detail).toMatchObject({ code: 'INPUT_TOO_LARGE', context: { field: '$.action.inputs.userId', size: '500000' } });
    expect(error.message).toContain('after its references are resolved');
  });

  it('limits are configurable and count UTF-8 bytes: 500 × "é" (1000 bytes) passes maxInputBytes 1000, 501 do not', async () => {
    const ex = executor({ limits: { maxInputBytes: 1000 } });
    const ok = await ex.execute(executeRequest('get_user', 'get-user', { userId: 'é'.repeat(500) }));
    expect(ok.status).toBe('failed'); // the scripted API has no such user: the request was sent
    expect(api.hits).toHaveLength(1);
    const error = await refusal(ex.execute(executeRequest('get_user', 'get-user', { userId: 'é'.repeat(501) }, {}, '11111111-2222-4333-8444-555555555555')));
    expect(error.detail.context).toMatchObject({ size: '1002', maxBytes: '1000' });
    expect(api.hits).toHaveLength(1);
  });

  it('maxRequestBytes is configurable too', async () => {
    const error = await refusal(executor({ limits: { maxRequestBytes: 300 } }).execute(executeRequest('get_user', 'get-user', { userId: 'u'.repeat(300) })));
    expect(error.detail).toMatchObject({ code: 'REQUEST_TOO_LARGE', context: { maxBytes: '300' } });
  });

  it.each([0, -1, 1.5, Number.NaN])('a limit of %s is a configuration error naming the option', (value) => {
    expect(() => executor({ limits: { maxInputBytes: value } })).toThrow(/limits\.maxInputBytes must be a positive integer number of bytes/);
  });
});

describe('request size limits (CLI)', () => {
  let cli: CliSandbox;
  beforeEach(() => {
    cli = createCliSandbox([definition(api.url)]);
  });
  afterEach(() => {
    cli.cleanup();
  });

  it('a request file over 1 MiB exits 2 naming the file, its size and the limit, without reading it into memory', async () => {
    cli.write('big.json', JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'x'.repeat(2 * MiB) })));
    const result = await cli.run(['execute', 'big.json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(new RegExp(`big\\.json: the file is \\d+ bytes; requests are limited to ${MiB} bytes`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a request on stdin over 1 MiB exits 2 naming the limit', async () => {
    const result = await cli.run(['execute', '-', ...cli.flags()], JSON.stringify(executeRequest('get_user', 'get-user', { userId: 'x'.repeat(2 * MiB) })));
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(`<stdin>: more than ${MiB} bytes arrived; requests are limited to ${MiB} bytes`);
  });

  it('a 300 KiB input exits 2 with INPUT_TOO_LARGE naming the field and the limit', async () => {
    cli.write('request.json', executeRequest('get_user', 'get-user', { userId: 'u'.repeat(300 * KiB) }));
    const result = await cli.run(['execute', 'request.json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(`$.action.inputs.userId is ${300 * KiB} bytes`);
    expect(result.stderr).toContain('limits.maxInputBytes');
    expect(api.hits).toEqual([]);
  });
});
