import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { attempt, checkOnce, type ProbeCheck } from './check.ts';
import { Check } from './index.ts';
import { waitUntil } from './wait-until.ts';

function fake(run: (signal: AbortSignal) => Promise<void>): ProbeCheck & { closed: number } {
  return {
    kind: 'fake',
    target: 'a fake',
    closed: 0,
    run,
    async close() {
      this.closed += 1;
    },
  };
}

describe('attempt', () => {
  it('reports ok with a latency', async () => {
    const outcome = await attempt(fake(async () => undefined), 1000);
    expect(outcome.ok).toBe(true);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.error).toBeUndefined();
  });

  it('reports the error as described and as thrown', async () => {
    const thrown = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const outcome = await attempt(fake(async () => Promise.reject(thrown)), 1000);
    expect(outcome).toMatchObject({ ok: false, error: 'connect ECONNREFUSED 127.0.0.1:1', cause: thrown });
  });

  it('abandons a check that does not answer within the timeout', async () => {
    const outcome = await attempt(fake(() => new Promise(() => undefined)), 50);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe('timeout: no answer within 50 ms');
    expect((outcome.cause as Error).message).toBe('timeout: no answer within 50 ms');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(45);
  });

  it('checkOnce closes the check, passed or not', async () => {
    const passed = fake(async () => undefined);
    const failed = fake(async () => Promise.reject(new Error('no')));
    expect((await checkOnce(passed, 1000)).ok).toBe(true);
    expect((await checkOnce(failed, 1000)).ok).toBe(false);
    expect([passed.closed, failed.closed]).toEqual([1, 1]);
  });
});

describe('waitUntil', () => {
  it('attempts until one passes, then closes the check', async () => {
    let n = 0;
    const check = fake(async () => {
      if (++n < 3) throw new Error('not yet');
    });
    await waitUntil(check, { timeoutMs: 2000, intervalMs: 1 });
    expect(n).toBe(3);
    expect(check.closed).toBe(1);
  });

  it('times out with READINESS_TIMEOUT, the last error as the cause', async () => {
    const check = fake(async () => Promise.reject(new Error('connection refused')));
    const error = await waitUntil(check, { timeoutMs: 30, intervalMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('READINESS_TIMEOUT');
    expect((error as ProdlikeError).message).toMatch(/waiting for a fake to answer/);
    expect(((error as ProdlikeError).cause as Error).message).toBe('connection refused');
    expect(check.closed).toBe(1);
  });

  it('rethrows a fatal error as the check threw it, at once', async () => {
    const rejected = Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' });
    let tries = 0;
    const check = fake(async () => {
      tries += 1;
      throw rejected;
    });
    const error = await waitUntil(check, { timeoutMs: 10_000, intervalMs: 5, fatal: (e) => (e as { code?: string }).code === '28P01' }).catch((e: unknown) => e);
    expect(error).toBe(rejected);
    expect(tries).toBe(1);
  });
});

describe('Check.http and Check.tcp against local servers', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/file') res.end('the file\n');
      else res.writeHead(req.url === '/ready' ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('http: ok on the expected status, the status as the error otherwise', async () => {
    expect((await checkOnce(Check.http(`http://127.0.0.1:${port}/ready`), 2000)).ok).toBe(true);
    expect(await checkOnce(Check.http(`http://127.0.0.1:${port}/down`), 2000)).toMatchObject({ ok: false, error: 'HTTP 503 Service Unavailable' });
  });

  it('http with expectBody: ok only on that body', async () => {
    expect((await checkOnce(Check.http(`http://127.0.0.1:${port}/file`, { expectBody: 'the file\n' }), 2000)).ok).toBe(true);
    expect(await checkOnce(Check.http(`http://127.0.0.1:${port}/file`, { expectBody: 'another' }), 2000)).toMatchObject({ ok: false, error: 'HTTP 200 with another body: "the file\\n"' });
  });

  it('http: the target never shows a password', () => {
    expect(Check.http('http://user:secret@127.0.0.1:1/x').target).toBe('GET http://user:***@127.0.0.1:1/x');
  });

  it('tcp: ok while something listens, refused after', async () => {
    const tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const tcpPort = (tcp.address() as AddressInfo).port;
    expect(await checkOnce(Check.tcp('127.0.0.1', tcpPort), 2000)).toMatchObject({ ok: true });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const refused = await checkOnce(Check.tcp('127.0.0.1', tcpPort), 2000);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });
});
