import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runDemo } from '../src/demo/demo.ts';
import { main } from '../src/cli/cli.ts';

describe('demo (the README\'s first command)', () => {
  it('runs every example against the faulty local API, survives a SIGKILL mid-backoff, creates no duplicate payment, and runs the onboarding plan through its confirmation', async () => {
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
      // The onboarding plan: paused for a confirmation, confirmed, the plain welcome standing in.
      expect(text).toMatch(/plan 0b7e4d2a-5c1f-4e8a-9d3b-2f6a8c4e1d90: paused_for_confirmation/);
      expect(text).toContain('confirmations:\n    create_order: requested');
      expect(text).toContain('▶ send_welcome_plain (send-notification) in place of send_welcome');
      expect(text).toMatch(/plan 0b7e4d2a-5c1f-4e8a-9d3b-2f6a8c4e1d90: completed/);
      expect(text).toContain('✓ the order was created exactly once');
      expect(code, text).toBe(0);
      // Issue 12: every execution the demo journaled replays offline to the same outcome.
      const replayOut = new PassThrough();
      let replayed = '';
      replayOut.on('data', (c: Buffer) => (replayed += c.toString()));
      const replayCode = await main(['replay', '--all', '--db', join(cwd, '.action-executor/demo/journal.db'), '--json'], { stdout: replayOut, stderr: replayOut, stdin: process.stdin, cwd });
      expect(replayCode, replayed).toBe(0);
      // Six single actions and the onboarding plan's four (the plan's own "@plan" row is not an action).
      expect(JSON.parse(replayed)).toMatchObject({ outcome: 'same', replayed: 10, same: 10, diverged: 0 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
