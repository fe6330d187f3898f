import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hrNow } from '../clock.ts';
import { SentinelWriter } from '../sentinel-writer.ts';
import { httpSentinelSink } from './http-sentinel-sink.ts';

/** A real HTTP server with the reference app's POST /api/records contract, keeping records in memory. */
async function appLike() {
  const records = new Map<string, { seq: number; ts: number }>();
  const bodies: unknown[] = [];
  let down = false;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (down) return void res.writeHead(503).end('{"error":"database unavailable"}');
      const body = JSON.parse(text) as { clientId?: string; seq?: number; ts?: number | string };
      bodies.push(body);
      if (typeof body.clientId !== 'string' || typeof body.seq !== 'number') return void res.writeHead(400).end('{"error":"clientId and seq required"}');
      records.set(`${body.clientId}/${body.seq}`, { seq: body.seq, ts: new Date(body.ts ?? Date.now()).getTime() });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"created":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/records`,
    records,
    bodies,
    setDown: (v: boolean) => (down = v),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('httpSentinelSink', () => {
  it("posts { clientId, seq, ts } (the app's contract), counts non-2xx as unacknowledged and reads back through the given reader", async () => {
    const app = await appLike();
    try {
      const sink = httpSentinelSink({
        url: app.url,
        clientId: 'sentinel-test',
        readBack: async (clientId, { fromSeq, toSeq }) => [...app.records].filter(([k, r]) => k.startsWith(`${clientId}/`) && r.seq >= fromSeq && r.seq <= toSeq).map(([, r]) => ({ seq: r.seq, writtenAt: r.ts })),
      });
      expect(sink.target).toBe(`POST ${app.url} (clientId sentinel-test)`);
      const writer = await new SentinelWriter(sink, { ratePerSecond: 50 }).start();
      await delay(200);
      app.setDown(true);
      await delay(100);
      app.setDown(false);
      await delay(200);
      await writer.stop();
      expect(app.bodies[0]).toEqual({ clientId: 'sentinel-test', seq: 0, ts: expect.any(Number) });
      const log = writer.log();
      expect(log.writes.some((w) => !w.acked && w.error?.startsWith('HTTP 503'))).toBe(true);
      const v = await writer.verify({ faultAt: hrNow() });
      expect(v).toMatchObject({ lostAcked: [], rpoMs: 0, timestampMismatches: [], sink: 'http' });
      // The app "loses" its newest records: the lost seqs are named.
      const newest = [...app.records.values()].sort((a, b) => b.seq - a.seq).slice(0, 3);
      for (const r of newest) app.records.delete(`sentinel-test/${r.seq}`);
      const after = await writer.verify({ faultAt: hrNow() });
      expect(after.lostAcked).toEqual(newest.map((r) => r.seq).sort((a, b) => a - b));
    } finally {
      await app.close();
    }
  });

  it('accepts a custom body builder', async () => {
    const app = await appLike();
    try {
      const sink = httpSentinelSink({ url: app.url, clientId: 'c', body: (r, id) => ({ clientId: id, seq: r.seq, ts: new Date(r.writtenAt).toISOString(), payload: 'x' }), readBack: async () => [] });
      await sink.write({ seq: 7, writtenAt: Date.UTC(2025, 0, 1) }, AbortSignal.timeout(1000));
      expect(app.bodies).toEqual([{ clientId: 'c', seq: 7, ts: '2025-01-01T00:00:00.000Z', payload: 'x' }]);
    } finally {
      await app.close();
    }
  });
});
