/**
 * The viewer's pure rules, each on its own: the diagram covers the machine, the Host/Origin/token
 * checks, the live feed's bounded polling, the inspector's bounded memory and its record format.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type InspectionEvent } from 'xstate';
import { actionExecutionMachine } from '../machines/action-execution.ts';
import { toMermaid } from '../src/cli/machine-diagram.ts';
import { machineGraph } from '../src/viewer/machine-graph.ts';
import { checkHost, checkStateChange, isLoopbackHost } from '../src/viewer/request-guard.ts';
import { tokensMatch, createSessionToken } from '../src/viewer/session-token.ts';
import { createLiveFeed, type WatchSource } from '../src/viewer/live-feed.ts';
import { createInspectHub } from '../src/viewer/inspect-hub.ts';
import { toInspectRecord } from '../src/viewer/inspect-batch.ts';
import { RouteTable } from '../src/viewer/route-table.ts';
import { createRedactor } from '../src/redaction/redaction.ts';

describe('machine diagram', () => {
  it('places every state of the machine and draws every transition the Mermaid export lists', () => {
    const graph = machineGraph(actionExecutionMachine);
    expect(graph.unplaced).toEqual([]);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(Object.keys(actionExecutionMachine.root.states).sort());
    const drawn = new Set(graph.edges.filter((e) => !e.implicit).map((e) => `${e.from} --> ${e.to}: ${e.event}`));
    const listed = toMermaid(actionExecutionMachine)
      .split('\n')
      .map((line) => /^ {2}(\w+) --> (\w+): (\w+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]} --> ${m[2]}: ${m[3]}`);
    expect(listed.length).toBeGreaterThan(10);
    expect([...drawn].sort()).toEqual([...new Set(listed)].sort());
  });

  it('gives the root CANCEL one implicit edge per non-final state, and nodes do not overlap', () => {
    const graph = machineGraph(actionExecutionMachine);
    const cancels = graph.edges.filter((e) => e.event === 'CANCEL').map((e) => e.from).sort();
    expect(cancels).toEqual(['backingOff', 'classifying', 'requesting', 'resolving', 'storing', 'validating']);
    expect(graph.edges.filter((e) => e.event === 'CANCEL').every((e) => e.implicit && e.to === 'failed')).toBe(true);
    for (const a of graph.nodes) {
      for (const b of graph.nodes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
      }
    }
  });

  it('a state the layout does not know is still drawn, and reported', () => {
    const graph = machineGraph(actionExecutionMachine, { resolving: { col: 0, row: 0 } });
    expect(graph.nodes).toHaveLength(Object.keys(actionExecutionMachine.root.states).length);
    expect(graph.unplaced).toContain('backingOff');
  });
});

describe('request guard', () => {
  const bound = { host: '127.0.0.1', port: 4321 };

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '192.168.1.2', 'example.com', '::', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts loopback Host headers on the bound port, refuses names and other ports', () => {
    for (const host of ['127.0.0.1:4321', 'localhost:4321', '[::1]:4321']) expect(checkHost(host, bound), host).toBeUndefined();
    for (const host of [undefined, '', 'attacker.example:4321', '127.0.0.1', '127.0.0.1:80', 'localhost.attacker.example:4321', '127.0.0.1:4321/x']) {
      expect(checkHost(host, bound)?.status, String(host)).toBe(421);
    }
  });

  it('a wildcard bind (--allow-remote) accepts IP literals but never a DNS name', () => {
    const wild = { host: '0.0.0.0', port: 4321 };
    expect(checkHost('192.168.1.5:4321', wild)).toBeUndefined();
    expect(checkHost('rebind.attacker.example:4321', wild)?.status).toBe(421);
  });

  it('a state change needs the token, and an Origin (when sent) of this viewer', () => {
    const token = createSessionToken();
    const ok = { host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321', token };
    expect(checkStateChange(ok, token, 'POST /x')).toBeUndefined();
    expect(checkStateChange({ host: ok.host, token }, token, 'POST /x')).toBeUndefined(); // the CLI sends no Origin
    expect(checkStateChange({ ...ok, token: undefined }, token, 'POST /x')?.message).toContain('missing');
    expect(checkStateChange({ ...ok, token: `${token}x` }, token, 'POST /x')?.message).toContain('does not match');
    expect(checkStateChange({ ...ok, origin: 'null' }, token, 'POST /x')?.message).toContain('Origin "null"');
    expect(checkStateChange({ ...ok, origin: 'http://127.0.0.1:9999' }, token, 'POST /x')?.status).toBe(403);
  });

  it('tokens compare whole: a prefix, a longer value or nothing never match', () => {
    const token = createSessionToken();
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, token.slice(0, -1))).toBe(false);
    expect(tokensMatch(token, `${token}a`)).toBe(false);
    expect(tokensMatch(token, undefined)).toBe(false);
    expect(tokensMatch(token, '')).toBe(false);
    expect(createSessionToken()).not.toBe(token);
  });
});

describe('route table', () => {
  it('matches :params URL-decoded, tells 405 from 404, and refuses a duplicate route', () => {
    const routes = new RouteTable().add('GET', '/api/executions/:executionId/:actionId', () => undefined);
    const found = routes.match('GET', '/api/executions/a%2Fb/c');
    expect(found && 'route' in found ? found.params : undefined).toEqual({ executionId: 'a/b', actionId: 'c' });
    expect(routes.match('POST', '/api/executions/a/c')).toEqual({ methodNotAllowed: ['GET'] });
    expect(routes.match('GET', '/api/executions/a')).toBeUndefined();
    expect(routes.match('GET', '/api/executions/%E0%A4%A/c')).toBeUndefined();
    expect(() => routes.add('GET', '/api/executions/:id/:action', () => undefined)).toThrow(/already registered/);
  });
});

describe('live feed', () => {
  const counter = (reads: { n: number }, fingerprint: () => string): WatchSource => ({
    read: async () => {
      reads.n += 1;
      const value = fingerprint();
      return { fingerprint: value, load: async () => value };
    },
  });

  it('pushes the current payload at once, then only when the fingerprint changes; shared by key', async () => {
    const feed = createLiveFeed({ intervalMs: 0 });
    let value = 'a';
    const reads = { n: 0 };
    const first: unknown[] = [];
    const second: unknown[] = [];
    feed.watch('k', counter(reads, () => value), (p) => first.push(p));
    feed.watch('k', counter(reads, () => 'ignored: the key is shared'), (p) => second.push(p));
    await feed.tick();
    await feed.tick();
    expect(first).toEqual(['a']);
    expect(second).toEqual(['a']);
    value = 'b';
    await feed.tick();
    expect(first).toEqual(['a', 'b']);
    expect(second).toEqual(['a', 'b']);
    expect(feed.size).toBe(1);
    feed.close();
  });

  it('looks at no more than maxPerTick sources per tick, round robin, and forgets unwatched ones', async () => {
    const feed = createLiveFeed({ intervalMs: 0, maxPerTick: 2 });
    const reads = [{ n: 0 }, { n: 0 }, { n: 0 }];
    const stops = reads.map((r, i) => feed.watch(`k${i}`, counter(r, () => 'same'), () => undefined));
    await new Promise((r) => setTimeout(r, 0));
    const initial = reads.map((r) => r.n);
    await feed.tick();
    expect(reads.reduce((s, r, i) => s + r.n - initial[i]!, 0)).toBe(2);
    await feed.tick();
    // Tick 1 read k0 and k1, tick 2 went on with k2 and wrapped round to k0.
    expect(reads.map((r, i) => r.n - initial[i]!)).toEqual([2, 1, 1]);
    for (const stop of stops) stop();
    expect(feed.size).toBe(0);
    feed.close();
  });
});

describe('offline inspector records', () => {
  it('the hub keeps a bounded number of sessions and records', () => {
    const hub = createInspectHub({ sessions: 2, recordsPerSession: 3 });
    const record = (sessionId: string, state: string) => ({ type: '@xstate.snapshot' as const, sessionId, at: 1, state });
    hub.add({ events: [1, 2, 3, 4, 5].map((i) => record('s1', `state${i}`)) }, 10);
    hub.add({ events: [record('s2', 'x')] }, 20);
    hub.add({ events: [record('s3', 'y')] }, 30);
    expect(hub.sessions().map((s) => s.sessionId)).toEqual(['s3', 's2']);
    hub.add({ events: [1, 2, 3, 4].map((i) => record('s2', `z${i}`)) }, 40);
    const s2 = hub.session('s2')!;
    expect(s2.recent.map((r) => r.state)).toEqual(['z2', 'z3', 'z4']);
    expect(s2).toMatchObject({ records: 5, state: 'z4' });
  });

  it('converts the driver inspection events to plain, redacted records', () => {
    const key = { executionId: 'e-1', actionId: 'a-1' };
    const [start] = initialTransition(actionExecutionMachine, key);
    const [next] = transition(actionExecutionMachine, start, { type: 'RESOLVED' });
    const actorRef = { sessionId: 'e-1/a-1', getSnapshot: () => next };
    const redactor = createRedactor(['s3cr3t-value']);
    const redact = <T,>(value: T): T => redactor.json(value);
    const snapshot = toInspectRecord({ type: '@xstate.snapshot', actorRef, snapshot: next, event: { type: 'SKIPPED', reason: 'token s3cr3t-value' }, rootId: 'x' } as unknown as InspectionEvent, 5, redact);
    expect(snapshot).toMatchObject({ type: '@xstate.snapshot', sessionId: 'e-1/a-1', executionId: 'e-1', actionId: 'a-1', state: 'validating', at: 5, event: { type: 'SKIPPED', reason: 'token [REDACTED]' } });
    expect(JSON.stringify(snapshot)).not.toContain('machine');
    const action = toInspectRecord({ type: '@xstate.action', actorRef, action: { type: 'request', params: { attempt: 1 } }, rootId: 'x' } as unknown as InspectionEvent, 6);
    expect(action).toMatchObject({ type: '@xstate.action', state: 'validating', action: { type: 'request', params: { attempt: 1 } } });
    expect(toInspectRecord({ type: '@xstate.microstep', actorRef } as unknown as InspectionEvent, 7)).toBeUndefined();
  });
});
