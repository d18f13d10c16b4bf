/**
 * Issue 13 item 8 (DESIGN §6 "Infrastructure vs action failures"): a full disk or another storage I/O
 * error while streaming a body or saving the output is the executor's infrastructure failing, not the
 * action. The run stops without a recorded result (execute rejects), and once storage works a
 * resubmission carries on from the journal — re-sending only what is safe to repeat.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInfrastructureError } from '../src/failure/errors.ts';
import { sendAttempt } from '../src/http/http.ts';
import { createHttpAgent } from '../src/http/http-transport.ts';
import type { BodySink, BodySinkWriter, NetworkErrorOutcome } from '../src/http/http-types.ts';
import { createRedactor } from '../src/redaction/redaction.ts';
import { createLocalStorageProvider } from '../storage/local-storage-provider.ts';
import { startHttpServer, type LocalHttpServer } from './http-servers.ts';
import { startScriptedApi, type ScriptedApi } from './support/scripted-api.ts';
import { createHarness, definition, executeRequest, EXEC_ID, type Harness } from './support/executor-harness.ts';

/** An error as node:fs raises it: code, errno, syscall. */
function fsError(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated storage failure, ${syscall}`), { code, errno: -1, syscall });
}

/** A sink whose n-th write fails with `error`; counts aborts. */
function failingSink(error: Error, failOnWrite = 2): BodySink & { aborted: number } {
  let writes = 0;
  const sink = {
    aborted: 0,
    async open(): Promise<BodySinkWriter> {
      return {
        async write() {
          writes += 1;
          if (writes >= failOnWrite) throw error;
        },
        async finish() {
          throw new Error('finish after a failed write');
        },
        async abort() {
          sink.aborted += 1;
        },
      };
    },
  };
  return sink;
}

describe('issue 13 item 8: storage I/O errors while streaming a body are infrastructure errors (attempt layer)', () => {
  let server: LocalHttpServer;
  const agent = createHttpAgent();
  beforeEach(async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(200_000, 7));
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const send = (sink: BodySink) =>
    sendAttempt({ method: 'GET', url: `${server.origin}/export`, headers: {} }, { timeoutMs: 2_000, redactor: createRedactor(), dispatcher: agent, sink, inlineLimit: 1_000 });

  it.each(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE'])('a sink write failing with %s rejects with an InfrastructureError, and the partial body is discarded', async (code) => {
    const sink = failingSink(fsError(code));
    const error = await send(sink).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isInfrastructureError(error)).toBe(true);
    expect((error as Error).message).toContain(`GET ${server.origin}/export`);
    expect((error as Error).message).toContain(code);
    expect(sink.aborted).toBe(1);
  });

  it('the local storage provider failing to open the body file (its root is a regular file) rejects with an InfrastructureError too', async () => {
    const root = join(execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim(), 'root-is-a-file');
    writeFileSync(root, 'not a directory');
    try {
      const error = await send(createLocalStorageProvider(root).bodySink('bodies', 'x.body')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isInfrastructureError(error)).toBe(true);
    } finally {
      rmSync(join(root, '..'), { recursive: true, force: true });
    }
  });

  it('a sink failing without a storage error code (a bug in the sink) still ends the attempt as BODY_SINK_FAILED', async () => {
    const outcome = (await send(failingSink(new Error('sink bug: write after close')))) as NetworkErrorOutcome;
    expect(outcome.kind).toBe('network_error');
    expect(outcome.error.code).toBe('BODY_SINK_FAILED');
  });
});

describe('issue 13 item 8: the executor stops unrecorded on storage failure and a resubmission completes once storage works', () => {
  let api: ScriptedApi;
  let h: Harness;
  const big = { data: 'x'.repeat(50_000) };
  beforeEach(async () => {
    api = await startScriptedApi();
  });
  afterEach(async () => {
    await h.cleanup();
    await api.close();
  });

  /** Makes `<storage>/<collection>` a regular file, so saving into it fails (mkdir: EEXIST, as root too). */
  const block = (collection: string): void => {
    mkdirSync(h.storageDir, { recursive: true });
    writeFileSync(join(h.storageDir, collection), 'in the way');
  };
  const unblock = (collection: string): void => rmSync(join(h.storageDir, collection));

  const rejection = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => {
        throw new Error('expected execute to reject');
      },
      (e: unknown) => e,
    );

  it('GET: a body that cannot be streamed to storage leaves no terminal result; resubmitted after the fix it is re-sent and completes', async () => {
    h = createHarness([definition(api.url)], { inlineBodyLimit: 1024 });
    api.script('GET /users/u_1', [{ status: 200, body: big }]);
    block('bodies');
    const request = executeRequest('get_user', 'get-user', { userId: 'u_1' });

    const error = await rejection(h.executor.execute(request));
    expect(isInfrastructureError(error)).toBe(true);
    const recorded = await h.executor.get(EXEC_ID, 'get_user');
    expect(recorded?.status).toBe('running');
    expect(recorded?.result).toBeUndefined();

    unblock('bodies');
    const state = await h.reopen().execute(structuredClone(request));
    expect(state.status).toBe('completed');
    if (state.result?.status !== 'success') throw new Error('expected success');
    expect(state.result.outputLocation.size).toBe(Buffer.byteLength(JSON.stringify(big)));
    // A GET is safe to repeat: the in-doubt attempt was sent again.
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(2);
  });

  it('unkeyed POST: after the storage failure the request is in doubt, so the resubmission ends OUTCOME_UNKNOWN without sending again', async () => {
    const post = definition(api.url, { id: 'create-user', endpoint: { url: `${api.url}/users`, method: 'POST', headers: {}, timeout: 2000 }, inputSchema: { name: 'string' } });
    h = createHarness([post], { inlineBodyLimit: 1024 });
    api.script('POST /users', [{ status: 201, body: big }]);
    block('bodies');
    const request = executeRequest('create_user', 'create-user', { name: 'Ada' });

    expect(isInfrastructureError(await rejection(h.executor.execute(request)))).toBe(true);
    expect((await h.executor.get(EXEC_ID, 'create_user'))?.result).toBeUndefined();

    unblock('bodies');
    const state = await h.reopen().execute(structuredClone(request));
    expect(state.status).toBe('failed');
    expect(state.result?.status === 'failure' && state.result.error.code).toBe('OUTCOME_UNKNOWN');
    expect(api.hitsFor('POST /users')).toHaveLength(1);
  });

  it('saving the output failing stops the run unrecorded; resubmitted after the fix it completes without sending again', async () => {
    h = createHarness([definition(api.url)]);
    api.script('GET /users/u_1', [{ status: 200, body: { id: 'u_1' } }]);
    block('outputs');
    const request = executeRequest('get_user', 'get-user', { userId: 'u_1' });

    expect(isInfrastructureError(await rejection(h.executor.execute(request)))).toBe(true);
    expect((await h.executor.get(EXEC_ID, 'get_user'))?.result).toBeUndefined();

    unblock('outputs');
    const state = await h.reopen().execute(structuredClone(request));
    expect(state).toMatchObject({ status: 'completed', result: { status: 'success', output: { id: 'u_1' } } });
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(1);
  });
});

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN); the realistic ENOSPC case needs one. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe('issue 13 item 8: a real full disk', () => {
  let api: ScriptedApi;
  let h: Harness;
  beforeEach(async () => {
    api = await startScriptedApi();
  });
  afterEach(async () => {
    try {
      execFileSync('umount', [h.storageDir], { stdio: 'ignore' });
    } catch {
      // not mounted (the test was skipped or failed before mounting)
    }
    await h.cleanup();
    await api.close();
  });

  it.skipIf(!canMountTmpfs())('a 300 kB body into a 64 KiB tmpfs stops with ENOSPC unrecorded; with space freed the resubmission completes', async () => {
    h = createHarness([definition(api.url)], { inlineBodyLimit: 1024 });
    mkdirSync(h.storageDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', h.storageDir]);
    const body = { data: 'y'.repeat(300_000) };
    api.script('GET /users/u_1', [{ status: 200, body }]);
    const request = executeRequest('get_user', 'get-user', { userId: 'u_1' });

    const error = await h.executor.execute(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isInfrastructureError(error)).toBe(true);
    expect((error as Error).message).toContain('ENOSPC');
    expect((await h.executor.get(EXEC_ID, 'get_user'))?.result).toBeUndefined();

    execFileSync('mount', ['-o', 'remount,size=2m', h.storageDir]);
    const state = await h.reopen().execute(structuredClone(request));
    expect(state.status).toBe('completed');
    expect(api.hitsFor('GET /users/u_1')).toHaveLength(2);
  });
});
