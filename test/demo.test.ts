import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runDemo } from '../src/demo/demo.ts';

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
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
