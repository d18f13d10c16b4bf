/**
 * Issue 13 item 6 (the input half): ids, names and input values that are not well-formed Unicode (a
 * lone surrogate is valid JSON, `"\ud800"`) are bad input, refused before anything is journaled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isActionError } from '../src/failure/errors.ts';
import { EXIT } from '../src/cli/cli.ts';
import type { ActionExecuteRequest } from '../src/schemas/job.ts';
import { ErrorDetailSchema } from '../src/schemas/errors.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, type Harness } from './support/executor-harness.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';

const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

let api: ScriptedApi;
beforeEach(async () => {
  api = await startScriptedApi();
});
afterEach(async () => {
  await api.close();
});

function request(): ActionExecuteRequest {
  return executeRequest('get_user', 'get-user', { userId: 'u_1' });
}

describe('issue 13 item 6: a lone surrogate in the request is refused before anything is written', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness([definition(api.url)]);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  const cases: [string, (r: ActionExecuteRequest) => void][] = [
    ['$.action.id', (r) => void (r.action.id = `get${LONE_HIGH}user` as never)],
    ['$.action.actionDefinitionId', (r) => void (r.action.actionDefinitionId = `get-user${LONE_LOW}`)],
    ['$.action.dependencies[0]', (r) => void (r.action.dependencies = [`dep${LONE_HIGH}` as never])],
    ['$.action.errorHandling.alternativeActionId', (r) => void (r.action.errorHandling.alternativeActionId = `alt${LONE_LOW}` as never)],
    ['$.action.inputs.userId', (r) => void (r.action.inputs.userId = `u${LONE_HIGH}1`)],
    ['$.action.inputs["user\\ud800Id"]', (r) => void (r.action.inputs = { [`user${LONE_HIGH}Id`]: 'u_1' })],
    ['$.context.credentials["API\\udc00KEY"]', (r) => void (r.context.credentials = { [`API${LONE_LOW}KEY`]: 'secret-value' })],
    ['$.context.previousResults["a\\ud800"]', (r) => void (r.context.previousResults = { [`a${LONE_HIGH}`]: '{}' })],
  ];

  it.each(cases)('%s: validation_failed INVALID_REQUEST naming the path; the journal stays empty', async (path, mutate) => {
    const bad = request();
    mutate(bad);
    const error = await h.executor.execute(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isActionError(error)) throw new Error(`expected an ActionError, got ${String(error)}`);
    expect(ErrorDetailSchema.parse(error.detail)).toMatchObject({ category: 'validation_failed', code: 'INVALID_REQUEST' });
    expect(error.message).toContain(`${path}: not well-formed Unicode`);
    expect(error.detail.context[path]).toContain('lone surrogate');
    // The message itself is well-formed text (the bad character is shown as an escape), and no value is echoed.
    expect(/\p{Cs}/u.test(error.message)).toBe(false);
    expect(error.message).not.toContain('secret-value');
    expect((await h.executor.journal.listExecutions()).records).toEqual([]);
    expect(api.hits).toEqual([]);
  });

  it('well-formed text outside the BMP (a surrogate pair) is accepted', async () => {
    api.script('GET /users/%F0%9F%A6%8A', [{ status: 200, body: { id: 'fox' } }]);
    const ok = request();
    ok.action.inputs.userId = '🦊';
    expect((await h.executor.execute(ok)).status).toBe('completed');
  });
});

describe('issue 13 item 6: the CLI exits 2 for a lone surrogate in an id', () => {
  let cli: CliSandbox;
  beforeEach(() => {
    cli = createCliSandbox([definition(api.url)]);
  });
  afterEach(() => {
    cli.cleanup();
  });

  it('execute with "id": "get\\ud800user" exits 2 naming $.action.id, and list shows nothing was recorded', async () => {
    // Written as JSON text with the escape, exactly as a file on disk would carry it.
    cli.write('request.json', JSON.stringify(request()).replace('"id":"get_user"', '"id":"get\\ud800user"'));
    const result = await cli.run(['execute', 'request.json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('$.action.id: not well-formed Unicode');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const list = await cli.run(['list', '--json', ...cli.flags()]);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(api.hits).toEqual([]);
  });
});

describe('issue 13 item 6: validate refuses what execute would refuse', () => {
  it('validate request.json with a lone surrogate in action.actionDefinitionId exits 2 naming the path', async () => {
    const cli = createCliSandbox([definition(api.url)]);
    try {
      cli.write('request.json', JSON.stringify(request()).replace('"actionDefinitionId":"get-user"', '"actionDefinitionId":"get-user\\udc00"'));
      const result = await cli.run(['validate', 'request.json', ...cli.flags()]);
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toContain('$.action.actionDefinitionId: not well-formed Unicode: lone surrogate \\udc00 at character 8');
    } finally {
      cli.cleanup();
    }
  });
});
