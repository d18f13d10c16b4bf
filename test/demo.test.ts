import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runDemo } from '../src/demo/demo.ts';
import { main } from '../src/cli/cli.ts';

describe('demo (the README\'s first command)', () => {
  it('runs every example against the faulty local API, survives a SIGKILL mid-backoff, and creates no duplicate payment', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ae-demo-'));
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    try {
      const code = await runDemo({ stdout: out, stderr: out, cwd });
      expect(text).toContain('api_response_malformed (INVALID_JSON)');
      expect(text).toContain('looks like an HTML error page');
      expect(text).toContain('REQUEST_TIMEOUT');
      expect(text).toMatch(/killed with SIGKILL in state "backingOff"/);
      expect(text).toMatch(/duplicates: 0/);
      expect(code, text).toBe(0);
      // Issue 12: every execution the demo journaled replays offline to the same outcome.
      const replayOut = new PassThrough();
      let replayed = '';
      replayOut.on('data', (c: Buffer) => (replayed += c.toString()));
      const replayCode = await main(['replay', '--all', '--db', join(cwd, '.action-executor/demo/journal.db'), '--json'], { stdout: replayOut, stderr: replayOut, stdin: process.stdin, cwd });
      expect(replayCode, replayed).toBe(0);
      expect(JSON.parse(replayed)).toMatchObject({ outcome: 'same', replayed: 6, same: 6, diverged: 0 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
