#!/usr/bin/env node
// Independent cross-check probe (issue #14). A separate process that shares NO code with src/ (only node:
// built-ins and the pg / minio client packages): every target is tried every 50 ms with a NEW connection per
// attempt and a 1 s timeout, and every attempt is written as one NDJSON line. Its outages are compared with
// prodlike's own probes by scripts/crosscheck/compare.ts (see scripts/crosscheck/README.md).
//
//   node scripts/crosscheck/probe.mjs --targets targets.json --out attempts.ndjson [--interval-ms 50] [--timeout-ms 1000] [--duration-ms N]
//
// targets.json: [{ "name": "entry", "kind": "http", "url": "http://127.0.0.1:18580/health/ready" },
//                { "name": "redis", "kind": "redis", "url": "redis://:${REDIS_PASSWORD}@127.0.0.1:18583" },
//                { "name": "postgres", "kind": "postgres", "url": "postgres://app:${PGPASSWORD}@127.0.0.1:18584/app" },
//                { "name": "s3", "kind": "s3", "endpoint": "http://127.0.0.1:18585", "accessKey": "…", "secretKey": "${S3_SECRET}", "bucket": "files" }]
// `${VAR}` in any string is replaced from the environment. Optional per target: "probe" (the prodlike probe
// name to compare with), "expectStatus" (HTTP, default: any status < 500).
// Stops on SIGTERM / SIGINT (or after --duration-ms) and writes a final {"type":"stopped"} line.
import { createWriteStream, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import process from 'node:process';
import pg from 'pg';
import { Client as MinioClient } from 'minio';

const now = () => performance.timeOrigin + performance.now();

function parseArgs(argv) {
  const args = { intervalMs: 50, timeoutMs: 1000 };
  for (let i = 0; i < argv.length; i += 1) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--targets') args.targets = value;
    else if (key === '--out') args.out = value;
    else if (key === '--interval-ms') args.intervalMs = Number(value);
    else if (key === '--timeout-ms') args.timeoutMs = Number(value);
    else if (key === '--duration-ms') args.durationMs = Number(value);
    else throw new Error(`unknown argument ${key}`);
    i += 1;
  }
  if (!args.targets || !args.out) throw new Error('usage: probe.mjs --targets targets.json --out attempts.ndjson [--interval-ms 50] [--timeout-ms 1000] [--duration-ms N]');
  return args;
}

function expandEnv(value) {
  if (typeof value === 'string') {
    return value.replace(/\$\{(\w+)\}/g, (_, name) => {
      if (process.env[name] === undefined) throw new Error(`environment variable ${name} is not set (used in targets)`);
      return process.env[name];
    });
  }
  if (Array.isArray(value)) return value.map(expandEnv);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v)]));
  return value;
}

function withoutPassword(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

// One attempt = one new connection. Each returns a promise that resolves on success, rejects otherwise;
// `signal` aborts at the timeout and the attempt destroys its socket.
const CHECKS = {
  http(target) {
    const url = new URL(target.url);
    const lib = url.protocol === 'https:' ? https : http;
    const accept = target.expectStatus === undefined ? (s) => s < 500 : (s) => s === target.expectStatus;
    return {
      describe: `GET ${withoutPassword(target.url)} (new connection)`,
      run: (signal) =>
        new Promise((resolve, reject) => {
          const req = lib.request(url, { method: 'GET', agent: false, signal, headers: { connection: 'close' } }, (res) => {
            res.resume();
            res.on('end', () => (accept(res.statusCode ?? 0) ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        }),
    };
  },
  redis(target) {
    const url = new URL(target.url);
    const password = decodeURIComponent(url.password || '');
    const user = decodeURIComponent(url.username || '');
    const bulk = (parts) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    return {
      describe: `PING ${withoutPassword(target.url)} (new connection, raw RESP)`,
      run: (signal) =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
          let buffer = '';
          const expected = password ? 2 : 1;
          const fail = (error) => {
            socket.destroy();
            reject(error);
          };
          signal.addEventListener('abort', () => fail(new Error('timeout')), { once: true });
          socket.on('error', fail);
          socket.on('connect', () => socket.write((password ? bulk(user ? ['AUTH', user, password] : ['AUTH', password]) : '') + bulk(['PING'])));
          socket.on('data', (chunk) => {
            buffer += chunk.toString();
            const lines = buffer.split('\r\n').filter(Boolean);
            if (lines.length < expected) return;
            socket.destroy();
            const errorLine = lines.find((l) => l.startsWith('-'));
            if (errorLine) reject(new Error(errorLine.slice(1)));
            else if (lines[expected - 1] === '+PONG') resolve();
            else reject(new Error(`unexpected reply ${JSON.stringify(lines[expected - 1])}`));
          });
          socket.on('close', () => reject(new Error('connection closed before PONG')));
        }),
    };
  },
  postgres(target) {
    return {
      describe: `select 1 on ${withoutPassword(target.url)} (new connection)`,
      run: async (signal) => {
        const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 1000 });
        client.on('error', () => undefined);
        const destroy = () => {
          client.connection?.stream?.destroy();
          client.end().catch(() => undefined);
        };
        signal.addEventListener('abort', destroy, { once: true });
        try {
          await client.connect();
          await client.query('select 1');
        } finally {
          signal.removeEventListener('abort', destroy);
          destroy();
        }
      },
    };
  },
  s3(target) {
    const url = new URL(target.endpoint);
    const useSSL = url.protocol === 'https:';
    return {
      describe: `HEAD bucket ${target.bucket} at ${url.origin} (new connection)`,
      run: async (signal) => {
        const agent = useSSL ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
        signal.addEventListener('abort', () => agent.destroy(), { once: true });
        const client = new MinioClient({
          endPoint: url.hostname,
          port: Number(url.port || (useSSL ? 443 : 80)),
          useSSL,
          accessKey: target.accessKey,
          secretKey: target.secretKey,
          region: target.region ?? 'us-east-1',
          pathStyle: true,
          transportAgent: agent,
          retryOptions: { disableRetry: true },
        });
        try {
          if (!(await client.bucketExists(target.bucket))) throw new Error(`bucket ${target.bucket} does not exist`);
        } finally {
          agent.destroy();
        }
      },
    };
  },
};

function describeError(error) {
  const code = error?.code ?? error?.cause?.code;
  const message = error?.message || String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const targets = expandEnv(JSON.parse(readFileSync(args.targets, 'utf8')));
  if (!Array.isArray(targets) || targets.length === 0) throw new Error(`${args.targets}: expected a non-empty JSON array of targets`);
  const probes = targets.map((t) => {
    const make = CHECKS[t.kind];
    if (!make) throw new Error(`target ${t.name}: unknown kind ${t.kind} (http, redis, postgres, s3)`);
    return { target: t, ...make(t) };
  });
  const out = createWriteStream(args.out, { flags: 'a' });
  const write = (obj) => out.write(`${JSON.stringify(obj)}\n`);
  const startedAt = now();
  write({
    type: 'started',
    at: startedAt,
    pid: process.pid,
    intervalMs: args.intervalMs,
    timeoutMs: args.timeoutMs,
    clock: 'performance.timeOrigin + performance.now() (epoch ms)',
    targets: probes.map((p) => ({ name: p.target.name, kind: p.target.kind, describe: p.describe, ...(p.target.probe ? { probe: p.target.probe } : {}) })),
  });

  const inFlight = new Set();
  let stopping = false;
  const attempt = (p) => {
    const signal = AbortSignal.timeout(args.timeoutMs);
    const started = now();
    const work = Promise.race([
      p.run(signal),
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`timeout: no answer within ${args.timeoutMs} ms`)), { once: true })),
    ]).then(
      () => ({ ok: true }),
      (error) => ({ ok: false, error: signal.aborted ? `timeout: no answer within ${args.timeoutMs} ms` : describeError(error) }),
    );
    const done = work.then((r) => {
      const ended = now();
      write({ type: 'attempt', target: p.target.name, kind: p.target.kind, startedAt: started, endedAt: ended, latencyMs: ended - started, ok: r.ok, ...(r.ok ? {} : { error: r.error }) });
    });
    inFlight.add(done);
    done.finally(() => inFlight.delete(done));
  };

  // Fixed schedule: tick n at startedAt + n·interval (no catch-up burst after an event-loop stall).
  let tick = 0;
  let timer;
  const schedule = () => {
    tick += 1;
    let due = startedAt + tick * args.intervalMs;
    const t = now();
    if (due < t - args.intervalMs) {
      tick = Math.ceil((t - startedAt) / args.intervalMs);
      due = startedAt + tick * args.intervalMs;
    }
    timer = setTimeout(() => {
      if (stopping) return;
      for (const p of probes) attempt(p);
      schedule();
    }, Math.max(0, due - now()));
  };
  for (const p of probes) attempt(p);
  schedule();

  const stop = async (reason) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    await Promise.allSettled([...inFlight]);
    write({ type: 'stopped', at: now(), reason });
    out.end(() => process.exit(0));
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (args.durationMs) setTimeout(() => void stop('duration'), args.durationMs);
}

main().catch((error) => {
  process.stderr.write(`crosscheck probe: ${error?.message ?? error}\n`);
  process.exit(2);
});
