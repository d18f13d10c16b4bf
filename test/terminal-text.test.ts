/**
 * Issue 13 "control characters": ids and API text reach the terminal in `execute`, `list` and `show`.
 * An ANSI escape can recolour or rewrite the screen, NUL truncates in some terminals and U+202E
 * reverses what follows, so human output shows them as visible escapes; `--json` stays exact JSON.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/cli.ts';
import { escapeForTerminal } from '../src/support/terminal-text.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { definition, executeRequest, EXEC_ID } from './support/executor-harness.ts';
import { createCliSandbox, type CliSandbox } from './support/cli-run.ts';

const ESC_RED = '\u001b[31m';
const NUL = '\u0000';
const RLO = '\u202e';
const HOSTILE_ID = `get${ESC_RED}user${NUL}x${RLO}txt.exe`;
const HOSTILE_MESSAGE = `no such user ${ESC_RED}ALERT${NUL} ${RLO}gnp.exe`;

/** The characters of `text` a terminal would act on instead of showing (line feeds are the output's own). */
function rawControls(text: string): string[] {
  const bidiAndSeparators = [0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
  return [...text].filter((char) => {
    const code = char.codePointAt(0) ?? 0;
    return (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f) || bidiAndSeparators.includes(code);
  }).map((char) => `U+${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

describe('escapeForTerminal', () => {
  it.each([
    ['\u001b[31mred', '\\x1b[31mred'],
    ['a\u0000b', 'a\\x00b'],
    ['\u202eabc', '\\u202eabc'],
    ['\u2066isolate\u2069', '\\u2066isolate\\u2069'],
    ['line\nbreak\r', 'line\\nbreak\\r'],
    ['tab\there', 'tab\\there'],
    ['c1\u009bcsi', 'c1\\x9bcsi'],
    ['del\u007f', 'del\\x7f'],
    ['lone \ud800', 'lone \\ud800'],
  ])('%j is shown as %j', (raw, shown) => {
    expect(escapeForTerminal(raw)).toBe(shown);
  });

  it('leaves printable text alone: accents, CJK, emoji (with joiners), quotes and backslashes', () => {
    const text = 'Zoë → 東京 🦊 👩\u200d💻 "quoted" C:\\path\\file';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('is idempotent, so already escaped lines can pass through it again', () => {
    const once = escapeForTerminal(`a\u001b[0m\u0000\u202e\ud800b`);
    expect(escapeForTerminal(once)).toBe(once);
  });
});

describe('issue 13: execute, list and show escape ids and API text; --json stays exact', () => {
  let api: ScriptedApi;
  let cli: CliSandbox;
  beforeEach(async () => {
    api = await startScriptedApi();
    cli = createCliSandbox([definition(api.url)]);
    cli.write('request.json', executeRequest(HOSTILE_ID, 'get-user', { userId: 'u_1' }));
    api.script('GET /users/u_1', [{ status: 404, body: { message: HOSTILE_MESSAGE } }]);
  });
  afterEach(async () => {
    cli.cleanup();
    await api.close();
  });

  it('execute prints the action id and the API error message with visible escapes', async () => {
    const result = await cli.run(['execute', 'request.json', ...cli.flags()]);
    expect(result.code).toBe(EXIT.actionFailed);
    expect(rawControls(result.stdout)).toEqual([]);
    expect(result.stdout).toContain(`▶ get\\x1b[31muser\\x00x\\u202etxt.exe (get-user)`);
    expect(result.stdout).toContain('no such user \\x1b[31mALERT\\x00 \\u202egnp.exe');
  });

  it('list and show print the id escaped, and show the API text escaped', async () => {
    await cli.run(['execute', 'request.json', ...cli.flags()]);
    const list = await cli.run(['list', ...cli.flags()]);
    expect(list.code).toBe(EXIT.ok);
    expect(rawControls(list.stdout)).toEqual([]);
    expect(list.stdout).toContain(`${EXEC_ID}  get\\x1b[31muser\\x00x\\u202etxt.exe`);
    const show = await cli.run(['show', EXEC_ID, ...cli.flags()]);
    expect(show.code).toBe(EXIT.ok);
    expect(rawControls(show.stdout)).toEqual([]);
    expect(show.stdout).toContain(`execution ${EXEC_ID} / get\\x1b[31muser\\x00x\\u202etxt.exe: failed`);
    expect(show.stdout).toContain('no such user \\x1b[31mALERT\\x00 \\u202egnp.exe');
  });

  it('--json output of execute, list and show is exact JSON carrying the raw characters', async () => {
    const executed = await cli.run(['execute', 'request.json', '--json', ...cli.flags()]);
    const state = JSON.parse(executed.stdout) as { actionId: string; result: { error: { message: string } } };
    expect(state.actionId).toBe(HOSTILE_ID);
    expect(state.result.error.message).toContain(HOSTILE_MESSAGE);
    const list = JSON.parse((await cli.run(['list', '--json', ...cli.flags()])).stdout) as { actionId: string }[];
    expect(list.map((r) => r.actionId)).toEqual([HOSTILE_ID]);
    const shown = JSON.parse((await cli.run(['show', EXEC_ID, '--json', ...cli.flags()])).stdout) as { actionId: string }[];
    expect(shown.map((s) => s.actionId)).toEqual([HOSTILE_ID]);
  });

  it('an error on stderr escapes the ids it names, keeping its own line breaks', async () => {
    const result = await cli.run(['show', EXEC_ID, HOSTILE_ID.replace('user', 'nobody'), ...cli.flags()]);
    expect(result.code).toBe(EXIT.usage);
    expect(rawControls(result.stderr)).toEqual([]);
    expect(result.stderr).toContain('no execution');
    expect(result.stderr).toContain('get\\x1b[31mnobody\\x00x\\u202etxt.exe');
  });
});
