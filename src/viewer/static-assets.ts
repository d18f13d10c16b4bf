/**
 * The viewer's assets: plain HTML, CSS and JavaScript in `src/viewer/assets/`, read from disk on each
 * request (no build step, nothing from the network). Only names of the form `name.ext` with a known
 * extension are served, so no path can leave that directory.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ServerResponse } from 'node:http';
import { HttpError, send } from './http-io.ts';

/** Where the shipped assets live. */
export const ASSETS_DIR = resolve(import.meta.dirname, 'assets');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg|png)$/;

/** The placeholder a page template carries where the session token goes. */
export const TOKEN_PLACEHOLDER = '%VIEWER_TOKEN%';

async function readAsset(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch {
    throw new HttpError(404, `no asset ${JSON.stringify(name)} in the viewer's assets`, 'NOT_FOUND');
  }
}

/** Serves `/assets/<name>`. */
export async function serveAsset(res: ServerResponse, name: string, dir = ASSETS_DIR): Promise<void> {
  const match = ASSET_NAME.exec(name);
  if (!match?.[1]) throw new HttpError(404, `no asset ${JSON.stringify(name)}: asset names are name.js, name.css, name.svg or name.png`, 'NOT_FOUND');
  send(res, 200, CONTENT_TYPES[match[1]] ?? 'application/octet-stream', await readAsset(dir, name), { 'cache-control': 'no-cache' });
}

/** Serves a page template (`<name>.html`) with the session token filled in. */
export async function servePage(res: ServerResponse, page: string, token: string, dir = ASSETS_DIR): Promise<void> {
  if (!/^[a-z0-9-]+$/.test(page)) throw new Error(`viewer page name ${JSON.stringify(page)} is not a plain name`);
  const html = (await readAsset(dir, `${page}.html`)).toString('utf8').replaceAll(TOKEN_PLACEHOLDER, token);
  send(res, 200, 'text/html; charset=utf-8', html);
}
