/**
 * Issue 13 item 2: `npx action-executor execute …` — the real bin, in its own process group — is
 * SIGKILLed with its group while its request is at the server, then resubmitted at once. Every
 * resubmission must complete: the dead owner is proven dead by its released owner lock (the journal
 * gives a holder on this host a few hundred ms to finish dying), not by a pid, and not after the
 * lease's 30 s expiry.
 *
 * CI runs one round (RESUBMIT_ROUNDS, default 1: a round starts the CLI twice through npx, a few
 * seconds each); the figure is `RESUBMIT_ROUNDS=20`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { definition, executeRequest } from './support/executor-harness.ts';

const ROUNDS = Number(process.env['RESUBMIT_ROUNDS'] ?? '1');
const REPO = resolve(import.meta.dirname, '..');

let server: Server;
let url = '';
let dir = '';
/** Hits per path; the first of each round's path is held (never answered) and triggers the kill. */
const hits = new Map<string, number>();
const held = new Set<ServerResponse>();
let onFirstHit: ((path: string) => void) | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ae-resubmit-'));
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    req.resume();
    if (n === 1) {
      held.add(res);
      onFirstHit?.(path);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: path.split('/').pop() }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(join(dir, 'defs'));
  writeFileSync(join(dir, 'defs', 'get-user.json'), JSON.stringify(definition(url)));
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

/** `npx action-executor execute <file>` in its own process group; resolves with how it ended. */
function cli(requestFile: string) {
  const child = spawn('npx', ['action-executor', 'execute', requestFile, '--definitions', join(dir, 'defs'), '--db', join(dir, 'state', 'journal.db'), '--storage', join(dir, 'state', 'storage'), '--log-level', 'silent'], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((done) => child.once('exit', (code, signal) => done({ code, signal, out })));
  return { child, ended };
}

describe(`resubmitting right after SIGKILL (${ROUNDS} rounds)`, () => {
  it('npx action-executor killed with its process group while its request is at the server, then resubmitted at once, completes every time', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const executionId = `6f1c2a9e-3b7d-4c1e-9a2f-${String(round).padStart(12, '0')}`;
      const file = join(dir, `request-${round}.json`);
      writeFileSync(file, JSON.stringify(executeRequest('get_user', 'get-user', { userId: `u_${round}` }, {}, executionId)));
      const first = cli(file);
      await new Promise<void>((done) => (onFirstHit = () => done()));
      process.kill(-first.child.pid!, 'SIGKILL');
      const killed = await first.ended;
      expect(killed.signal, `round ${round}: ${killed.out}`).toBe('SIGKILL');

      const again = await cli(file).ended; // at once: no pause between the kill and the resubmission
      outcomes.push(again.code === 0 ? 'ok' : `round ${round}: exit ${again.code}: ${again.out.slice(0, 400)}`);
      expect(again.out, `round ${round}`).toContain('completed');
      expect(hits.get(`/users/u_${round}`), `round ${round}: the GET was in doubt, so it is sent again (safe)`).toBe(2);
    }
    expect(outcomes).toEqual(Array.from({ length: ROUNDS }, () => 'ok'));
  }, 30_000 + ROUNDS * 30_000);
});
