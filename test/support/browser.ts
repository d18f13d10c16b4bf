/**
 * The real headless Chromium the browser tests use (issues 10, 12): Debian's `chromium` package,
 * driven by playwright-core (never playwright's own browser download). `.ci/run` installs it via
 * scripts/chromium.sh and sets `ACTION_EXECUTOR_CHROMIUM`; suites declared with
 * {@link describeWithBrowser} are skipped with the reason printed when it is missing, and fail
 * when `CI=true`.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { describeWithService, type ServiceAvailability } from './service-guard.ts';

/** The environment variable .ci/run sets to the browser's path. */
export const CHROMIUM_VARIABLE = 'ACTION_EXECUTOR_CHROMIUM';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a quiet, offline, container-friendly headless run: no sandbox (CI runs as root, where
 * Chromium's sandbox refuses to start), no GPU, and none of the background traffic (updates, sync,
 * first-run pages) that would reach beyond loopback.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where the browser is: `ACTION_EXECUTOR_CHROMIUM`, else /usr/bin/chromium. */
export function chromiumPath(): string {
  const fromEnv = process.env[CHROMIUM_VARIABLE];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CHROMIUM;
}

function probe(): ServiceAvailability {
  const path = chromiumPath();
  try {
    accessSync(path, constants.X_OK);
    return { available: true };
  } catch {
    return { available: false, reason: `Chromium not found at ${path}: npm run chromium (installs Debian's chromium package)` };
  }
}

const availability = probe();

/** describe() for tests that need the browser. */
export function describeWithBrowser(title: string, body: () => void): void {
  describeWithService(title, availability, body);
}

/** Launches the browser headless with {@link CHROMIUM_ARGS}; close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS], headless: true });
}

/** A browser context on a fresh profile (`--user-data-dir`), deleted on close. */
export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile directory, for tests that need one page context. */
export async function launchBrowserContext(viewport = { width: 1280, height: 900 }): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'ae-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_ARGS], viewport });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
