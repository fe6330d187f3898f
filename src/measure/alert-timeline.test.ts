import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../core/wait.ts';
import { AlertTimeline, judgeAlert, renderAlertTable, type AlertRecord } from './alert-timeline.ts';

/** A fake Prometheus: /api/v1/alerts answers whatever `alerts` holds at the time of the request. */
async function fakePrometheus(): Promise<{ url: string; server: Server; alerts: object[]; requests: () => number }> {
  const state = { alerts: [] as object[], n: 0 };
  const server = createServer((req, res) => {
    state.n += 1;
    if (req.url !== '/api/v1/alerts') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { alerts: state.alerts } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server,
    get alerts() { return state.alerts; },
    set alerts(a: object[]) { state.alerts = a; },
    requests: () => state.n,
  } as never;
}

const alert = (name: string, state: string, activeAt: number, labels: Record<string, string> = {}) => ({ labels: { alertname: name, ...labels }, state, activeAt: new Date(activeAt).toISOString() });

describe('AlertTimeline', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it('records pending (activeAt), firing (first poll seeing it) and resolved (first poll without it) per instance', async () => {
    const fake = await fakePrometheus();
    server = fake.server;
    const t0 = Date.now();
    const watch = await new AlertTimeline(fake.url, { intervalMs: 20 }).start();
    fake.alerts = [alert('RedisDown', 'pending', t0 + 5, { job: 'redis' }), alert('PodCrashLooping', 'pending', t0 + 7, { pod: 'a' })];
    await waitFor(async () => watch.records().length === 2, { timeoutMs: 2000, intervalMs: 10, description: 'two pending' });
    fake.alerts = [alert('RedisDown', 'firing', t0 + 5, { job: 'redis' }), alert('PodCrashLooping', 'pending', t0 + 7, { pod: 'a' })];
    await waitFor(async () => watch.records().find((r) => r.alert === 'RedisDown')?.firingAt, { timeoutMs: 2000, intervalMs: 10, description: 'firing' });
    fake.alerts = [alert('PodCrashLooping', 'pending', t0 + 7, { pod: 'a' })];
    await waitFor(async () => watch.records().find((r) => r.alert === 'RedisDown')?.resolvedAt, { timeoutMs: 2000, intervalMs: 10, description: 'resolved' });
    const records = await watch.stop();
    const redis = records.find((r) => r.alert === 'RedisDown')!;
    expect(redis.pendingAt).toBe(t0 + 5);
    expect(redis.labels).toEqual({ alertname: 'RedisDown', job: 'redis' });
    expect(redis.firingAt!).toBeGreaterThanOrEqual(t0);
    expect(redis.resolvedAt!).toBeGreaterThan(redis.firingAt!);
    const crash = records.find((r) => r.alert === 'PodCrashLooping')!;
    expect([crash.pendingAt, crash.firingAt, crash.resolvedAt]).toEqual([t0 + 7, undefined, undefined]);
    // stop() ends the polling: no request after it
    const n = fake.requests();
    await new Promise((r) => setTimeout(r, 80));
    expect(fake.requests()).toBe(n);
  });

  it('a new activeAt of the same labels is a new episode; a poll error is a note, not an end', async () => {
    const fake = await fakePrometheus();
    server = fake.server;
    const watch = await new AlertTimeline(fake.url, { intervalMs: 20 }).start();
    fake.alerts = [alert('PostgreSQLDown', 'pending', 1000, { job: 'postgres' })];
    await waitFor(async () => watch.records().length === 1, { timeoutMs: 2000, intervalMs: 10, description: 'one' });
    fake.alerts = [alert('PostgreSQLDown', 'pending', 9000, { job: 'postgres' })];
    await waitFor(async () => watch.records().length === 2, { timeoutMs: 2000, intervalMs: 10, description: 'two episodes' });
    const [first, second] = await watch.stop();
    expect(first!.resolvedAt).toBeDefined();
    expect(second!.resolvedAt).toBeUndefined();
  });

  it('start() fails with PROVIDER_FAILED when nothing answers', async () => {
    await expect(new AlertTimeline('http://127.0.0.1:9').start()).rejects.toMatchObject({ code: 'PROVIDER_FAILED' });
  });
});

describe('judgeAlert', () => {
  const timing = { scrapeMs: 5000, evaluationMs: 5000, marginMs: 5000 };
  const at = 1_000_000;
  const rec = (alert: string, pendingAfter: number, firedAfter?: number, resolvedAfter?: number, labels: Record<string, string> = {}): AlertRecord => ({
    alert, labels, pendingAt: at + pendingAfter, ...(firedAfter === undefined ? {} : { firingAt: at + firedAfter }), ...(resolvedAfter === undefined ? {} : { resolvedAt: at + resolvedAfter }),
  });

  it('an outage longer than for: + scrape + evaluation must fire within the window', () => {
    const v = judgeAlert([rec('RedisDown', 4000, 66_000, 90_000, { job: 'redis' })], { alert: 'RedisDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 85_000, labels: { job: 'redis' } }, timing);
    expect(v).toMatchObject({ expected: 'fire', verdict: 'PASS', windowMs: [60_000, 75_000], pendingAfterMs: 4000, firedAfterMs: 66_000, resolvedAfterMs: 90_000 });
    expect(judgeAlert([rec('RedisDown', 4000, 80_000)], { alert: 'RedisDown', forMs: 60_000, conditionAt: at }, timing)).toMatchObject({ verdict: 'FAIL', reason: expect.stringMatching(/^fired late/) });
  });

  it('the broken rule (no instance at all) and a pending-only alert are "never fired"', () => {
    const v = judgeAlert([rec('RedisDown', 4000, 66_000)], { alert: 'RedisDownWrongJob', forMs: 60_000, conditionAt: at, conditionEndAt: at + 85_000 }, timing);
    expect(v).toMatchObject({ expected: 'fire', verdict: 'FAIL', reason: expect.stringMatching(/^never fired:/) });
    expect(judgeAlert([rec('RedisDown', 4000)], { alert: 'RedisDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 85_000 }, timing).reason).toMatch(/^never fired \(went pending only\)/);
  });

  it('an outage shorter than for: must not fire; pending is fine; instances from before the condition do not count', () => {
    expect(judgeAlert([rec('PostgreSQLDown', 3000, undefined, 12_000)], { alert: 'PostgreSQLDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 8000 }, timing)).toMatchObject({ expected: 'no fire', verdict: 'PASS', reason: expect.stringMatching(/went pending/) });
    expect(judgeAlert([rec('PostgreSQLDown', 3000, 61_000)], { alert: 'PostgreSQLDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 8000 }, timing).verdict).toBe('FAIL');
    const earlier = judgeAlert([rec('PostgreSQLDown', -600_000, -500_000)], { alert: 'PostgreSQLDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 8000 }, timing);
    expect([earlier.verdict, earlier.pendingAfterMs]).toEqual(['PASS', undefined]);
    expect(judgeAlert([], { alert: 'PostgreSQLDown', forMs: 60_000, conditionAt: at, conditionEndAt: at + 65_000 }, timing)).toMatchObject({ expected: 'either', verdict: 'PASS' });
  });

  it('renders one row per alert with times relative to the condition', () => {
    const text = renderAlertTable([judgeAlert([rec('RedisDown', 4000, 66_000, 90_000)], { alert: 'RedisDown', forMs: 60_000, conditionAt: at }, timing)]);
    expect(text).toMatch(/RedisDown.*fire.*\+60\.0 s\.\.\+75\.0 s.*\+4\.0 s.*\+66\.0 s.*\+90\.0 s.*PASS/);
  });
});
