import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../core/exec.ts';
import { burst, edgeGet, steady, tlsHandshake } from './edge-probe.ts';

/** A real https server on 127.0.0.1 (TLS 1.2-1.3, a self-signed certificate) with a token bucket of 5, 10/s. */
describe('edge probe against a local https server', () => {
  let server: Server;
  let plain: HttpServer;
  let dir: string;
  let tokens = 5;
  let last = performance.now();
  const port = () => (server.address() as AddressInfo).port;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prodlike-edge-'));
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-subj', '/CN=edge.test', '-addext', 'subjectAltName=DNS:edge.test'], { timeoutMs: 30_000 });
    server = createServer({ key: await readFile(join(dir, 'k')), cert: await readFile(join(dir, 'c')), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }, (req, res) => {
      const now = performance.now();
      tokens = Math.min(5, tokens + ((now - last) / 1000) * 10);
      last = now;
      if (tokens < 1) { res.writeHead(429).end('Too Many Requests'); return; }
      tokens -= 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`host ${req.headers.host}`);
    });
    plain = createHttpServer((req, res) => res.writeHead(308, { location: `https://${req.headers.host}/` }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  }, 60_000);

  afterAll(async () => {
    server?.close();
    plain?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells accepted from refused TLS versions and reads the served certificate', async () => {
    const ok = await tlsHandshake({ host: '127.0.0.1', port: port(), servername: 'edge.test', version: 'TLSv1.3' });
    expect(ok).toMatchObject({ accepted: true, protocol: 'TLSv1.3' });
    expect(ok.certificate).toMatchObject({ subjectAltName: 'DNS:edge.test', selfSigned: true });
    const old = await tlsHandshake({ host: '127.0.0.1', port: port(), servername: 'edge.test', version: 'TLSv1.1' });
    expect(old.accepted).toBe(false);
    expect(old.error).toBeTruthy();
  });

  it('reads a redirect without following it, with the Host it was asked for', async () => {
    const r = await edgeGet({ scheme: 'http', port: (plain.address() as AddressInfo).port, host: 'edge.test', path: '/' });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://edge.test/');
  });

  it('counts admitted and rejected requests of a burst and a steady rate', async () => {
    await new Promise((r) => setTimeout(r, 600));
    const send = () => edgeGet({ scheme: 'https', port: port(), host: 'edge.test', path: '/' });
    const b = await burst(send, { count: 20, concurrency: 5 });
    expect(b.sent).toBe(20);
    expect(b.admitted).toBeGreaterThanOrEqual(5);
    // The bucket's 5 plus what 10/s refilled while the burst ran (a slow handshake lets more in, never fewer).
    expect(b.admitted).toBeLessThanOrEqual(5 + Math.ceil((10 * b.ms) / 1000) + 1);
    expect(b.rejected + b.admitted + b.errors).toBe(20);
    const st = await steady(send, { rate: 20, seconds: 1 });
    expect(st.sent).toBe(20);
    expect(st.admitted).toBeGreaterThanOrEqual(7);
    expect(st.admitted).toBeLessThanOrEqual(5 + Math.ceil((10 * st.ms) / 1000) + 1);
    expect(st.statuses['429']).toBe(st.rejected);
    // Offered over at least the nominal second (19 intervals of 50 ms + one), within the sample's span plus one interval.
    expect(st.offeredMs).toBeGreaterThanOrEqual(995);
    expect(st.offeredMs).toBeLessThanOrEqual(st.ms + 51);
  });
});
