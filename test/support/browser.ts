/**
 * Real headless Chromium for browser tests: Debian's `chromium` driven by `playwright-core`, a fresh
 * profile per launch. Without Chromium the browser tests are skipped with the reason printed — unless
 * `CI=true`, where a missing browser fails them (CI must run what it claims to). Install it with
 * `apt-get install -y chromium`, or point `CHROMIUM_PATH` at another build.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, offline, reproducible: nothing phones home, nothing updates itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailableReason(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  return undefined;
}

/**
 * `describe` when Chromium is there. Otherwise: with `CI=true` one failing test that names what is
 * missing; elsewhere a skipped suite and the reason on stderr.
 */
export function describeInBrowser(name: string, body: () => void): void {
  const reason = browserUnavailableReason();
  if (!reason) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Chromium (CI=true: browser tests may not be skipped)', () => {
        throw new Error(`browser tests cannot run: ${reason}`);
      });
    });
    return;
  }
  process.stderr.write(`skipping browser tests "${name}": ${reason}\n`);
  describe.skip(name, body);
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh `--user-data-dir`, deleted on close. */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'ae-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], viewport: { width: 1280, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
