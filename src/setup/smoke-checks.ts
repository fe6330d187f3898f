/**
 * Smoke checks of the images `prodlike setup` builds or pulls: each one really starts the image with
 * testcontainers and proves the one thing the environment relies on (a password login to PostgreSQL,
 * AOF on in Redis, an object round trip through MinIO, a k6 run, a Node 20 runtime, nginx serving a
 * file). They work the same on the offline images (prodlike.local/...) and the official ones. What
 * answers from the host is asked with the probe checks (src/probe/): the same HTTP, SQL and Redis checks
 * as readiness and measurement.
 *
 * Offline notes:
 * - testcontainers' reaper (Ryuk) is an image that cannot be pulled without a registry, so it is turned
 *   off (see core/testcontainers-env.ts, which also pins the host to 127.0.0.1). Every container
 *   is stopped and removed in a `finally`, and carries io.prodlike.managed=true and
 *   io.prodlike.smoke=true, so anything left behind by a killed process can be reaped by label.
 * - testcontainers' default pull policy never pulls an image that exists locally; the checks also
 *   refuse to start when the image is absent (instead of letting testcontainers try a pull).
 * - Published ports are bound to 127.0.0.1 (testcontainers binds 0.0.0.0 by default).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { toolBinDir } from '../core/paths.ts';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { createClient } from 'redis';
import { Check, checkOnce } from '../probe/index.ts';
import { connectHost, loadTestcontainers, readLogs, smokeCheck, token, withContainer, type SmokeCheck } from './smoke-container.ts';

export type { SmokeCheck, SmokeCheckOptions, SmokeCheckResult } from './smoke-container.ts';

/** PostgreSQL: a scram-sha-256 password login over TCP, `select 1`, and a rejected wrong password. */
export const smokePostgres = smokeCheck('PostgreSQL', () => {
  const password = `pw-${token()}`;
  return {
    container: (c, Wait) =>
      c
        .withEnvironment({ POSTGRES_PASSWORD: password, POSTGRES_DB: 'smoke', PGDATA: '/var/lib/postgresql/data/pgdata' })
        // The documented config values go through `postgres -c`, as with the official image.
        .withCommand(['postgres', '-c', 'max_connections=100', '-c', 'shared_buffers=128MB', '-c', 'work_mem=5242kB'])
        .withExposedPorts(5432)
        // The init-time server listens on the socket only, so a TCP pg_isready means the final server is up.
        .withWaitStrategy(Wait.forAll([Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -p 5432 -U postgres'), Wait.forListeningPorts()])),
    async assess(container, fail) {
      const connection = { host: connectHost(container), port: container.getMappedPort(5432), user: 'postgres', database: 'smoke', connectionTimeoutMillis: 10_000 };
      const client = new pg.Client({ ...connection, password });
      let row: { one: number; version: string; encryption: string; listen: string };
      try {
        await client.connect();
        const res = await client.query<{ one: number; version: string; encryption: string; listen: string }>(
          "select 1 as one, current_setting('server_version') as version, current_setting('password_encryption') as encryption, current_setting('listen_addresses') as listen",
        );
        row = res.rows[0]!;
      } catch (error) {
        throw fail('a password login as postgres followed by `select 1` failed', error);
      } finally {
        await client.end().catch(() => undefined);
      }
      if (row.one !== 1) throw fail(`\`select 1\` returned ${String(row.one)}`);
      if (!row.version.startsWith('15.')) throw fail(`the server is PostgreSQL ${row.version}, not 15`);
      const intruder = await checkOnce(Check.sql({ ...connection, password: `wrong-${token()}` }, { mode: 'per-attempt' }), 15_000);
      if (intruder.ok) throw fail('a login with a wrong password was accepted: non-local connections are not password-protected');
      if (!/password authentication failed/i.test(intruder.error ?? '')) throw fail('a login with a wrong password failed for an unexpected reason', intruder.cause);
      return `PostgreSQL ${row.version}: password login (${row.encryption}) and select 1 ok, wrong password rejected, listen_addresses=${row.listen}`;
    },
  };
});

/** Redis: started like the manifests start it (flags only), PING answers, AOF is on, auth is enforced. */
export const smokeRedis = smokeCheck('Redis', () => {
  const password = `pw-${token()}`;
  return {
    container: (c, Wait) =>
      c
        // A first argument starting with '-' means `redis-server ...` (the official entrypoint's rule).
        .withCommand(['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru', '--requirepass', password])
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forAll([Wait.forLogMessage(/Ready to accept connections/), Wait.forListeningPorts()])),
    async assess(container, fail) {
      const url = `redis://${connectHost(container)}:${container.getMappedPort(6379)}`;
      const client = createClient({ url, password, socket: { connectTimeout: 10_000, reconnectStrategy: false } });
      client.on('error', () => undefined);
      let pong: string;
      let appendonly: string | undefined;
      let version: string | undefined;
      try {
        await client.connect();
        pong = await client.ping();
        const config = (await client.configGet('appendonly')) as Record<string, string>;
        appendonly = config.appendonly;
        version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1];
        const key = `smoke:${token()}`;
        await client.set(key, 'v', { EX: 60 });
        if ((await client.get(key)) !== 'v') throw new Error('SET then GET did not return the value');
      } catch (error) {
        throw fail('PING/CONFIG GET/SET/GET with the password failed', error);
      } finally {
        await client.close().catch(() => client.destroy());
      }
      if (pong !== 'PONG') throw fail(`PING answered ${pong}`);
      if (appendonly !== 'yes') throw fail(`started with --appendonly yes but CONFIG GET appendonly is ${String(appendonly)}`);
      if (!version?.startsWith('7.')) throw fail(`the server is Redis ${String(version)}, not 7.x`);
      const anonymous = await checkOnce(Check.redis(url, { connectTimeoutMs: 10_000 }), 15_000);
      if (anonymous.ok) throw fail('a client without the password got an answer: --requirepass is not enforced');
      if (!/NOAUTH/i.test(anonymous.error ?? '')) throw fail('a client without the password failed for an unexpected reason', anonymous.cause);
      return `Redis ${version}: PING -> PONG, appendonly=yes, SET/GET ok, no-password client refused (NOAUTH)`;
    },
  };
});

/** MinIO: health endpoint, then a bucket and an object round trip through the `minio` npm client; `mc` present. */
export const smokeMinio = smokeCheck('MinIO', () => {
  const accessKey = `smoke${token()}`;
  const secretKey = `secret-${token()}`;
  return {
    container: (c, Wait) =>
      c
        .withEnvironment({ MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey })
        // Both the official entrypoint and ours prepend `minio` to these arguments.
        .withCommand(['server', '/data', '--address', ':9000', '--console-address', ':9001'])
        .withExposedPorts(9000)
        .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000).forStatusCode(200)),
    async assess(container, fail) {
      const port = container.getMappedPort(9000);
      const host = connectHost(container);
      const live = await checkOnce(Check.http(`http://${host}:${port}/minio/health/live`), 10_000);
      if (!live.ok) throw fail('/minio/health/live did not answer 200 from the host', live.error);
      const client = new MinioClient({ endPoint: host, port, useSSL: false, accessKey, secretKey });
      const bucket = `smoke-${token()}`;
      const object = 'round-trip.txt';
      const payload = `prodlike smoke ${token()}`;
      let readBack = '';
      try {
        await client.makeBucket(bucket);
        if (!(await client.bucketExists(bucket))) throw new Error(`bucket ${bucket} does not exist after makeBucket`);
        await client.putObject(bucket, object, Buffer.from(payload), payload.length, { 'Content-Type': 'text/plain' });
        const stream = await client.getObject(bucket, object);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
        readBack = Buffer.concat(chunks).toString();
        await client.removeObject(bucket, object);
        await client.removeBucket(bucket);
      } catch (error) {
        throw fail('creating a bucket and round-tripping an object through the minio client failed', error);
      }
      if (readBack !== payload) throw fail(`the object read back differs from what was written (${JSON.stringify(readBack.slice(0, 80))})`);
      const mc = await container.exec(['mc', '--version']);
      if (mc.exitCode !== 0) throw fail('`mc --version` failed inside the image (the backup job needs mc)', mc.output.trim());
      const version = /minio version (\S+)/.exec((await container.exec(['minio', '--version'])).output)?.[1] ?? 'unknown';
      return `MinIO ${version}: /minio/health/live 200, bucket created, ${payload.length}-byte object round-tripped, mc present`;
    },
  };
});

const K6_SCRIPT = `import { check, sleep } from 'k6';
export const options = { vus: 1, duration: '1s', thresholds: { checks: ['rate==1'] } };
export default function () {
  check(21 * 2, { 'arithmetic works': (v) => v === 42 });
  sleep(0.1);
}
`;

/**
 * k6: a 1-second script run by the image (ENTRYPOINT k6) and, when present, by $PRODLIKE_CACHE/bin/k6. Not
 * a `smokeCheck`: a failed start is the image's k6 run failing, and the host binary runs after the container.
 */
export const smokeK6: SmokeCheck = async (options) => {
  const started = performance.now();
  const name = 'k6';
  const { Wait } = await loadTestcontainers();
  const containerRun = await withContainer(
    name,
    options,
    (c) =>
      c
        .withCopyContentToContainer([{ content: K6_SCRIPT, target: '/tmp/smoke.js', mode: 0o644 }])
        .withCommand(['run', '--quiet', '--no-usage-report', '/tmp/smoke.js'])
        .withWaitStrategy(Wait.forOneShotStartup()),
    async (container) => readLogs(container),
  ).catch((error: unknown) => {
    if (error instanceof ProdlikeError && error.code === 'READINESS_TIMEOUT') {
      throw new ProdlikeError('BUILD_FAILED', `k6 smoke check: \`k6 run\` of a 1-second script in ${options.image} did not exit 0. ${error.message}`, { cause: error });
    }
    throw error;
  });
  const iterations = /iterations\D+(\d+)/.exec(containerRun)?.[1];
  let hostDetails = 'host k6 absent';
  const hostK6 = join(toolBinDir(options.env ?? process.env), 'k6');
  if (existsSync(hostK6)) {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-k6-smoke-'));
    try {
      await writeFile(join(dir, 'smoke.js'), K6_SCRIPT);
      const r = await run(hostK6, ['run', '--quiet', '--no-usage-report', join(dir, 'smoke.js')], {
        allowFailure: true,
        timeoutMs: 60_000,
        cwd: dir,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (r.exitCode !== 0) {
        throw new ProdlikeError('BUILD_FAILED', `k6 smoke check: ${hostK6} exited ${r.exitCode} on a 1-second script: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}. Delete it and run \`npx prodlike setup\` to reinstall it from the k6 image build.`);
      }
      hostDetails = `host ${hostK6} ok`;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    ok: true as const,
    details: `k6 run of a 1-second script exited 0 in the image${iterations ? ` (${iterations} iterations)` : ''}; ${hostDetails}`,
    durationMs: Math.round(performance.now() - started),
  };
};

/** Node: `node -e` prints its version; the major must be >= 20. */
export const smokeNode = smokeCheck('Node', () => ({
  container: (c, Wait) => c.withCommand(['node', '-e', 'console.log("node-version=" + process.versions.node)']).withWaitStrategy(Wait.forOneShotStartup()),
  async assess(container, fail) {
    const output = await readLogs(container);
    const version = /node-version=(\d+)\.(\d+)\.(\d+)/.exec(output);
    if (!version) throw fail(`\`node -e\` printed no version (${JSON.stringify(output.slice(-200))})`);
    if (Number(version[1]) < 20) throw fail(`Node ${version.slice(1).join('.')} is older than 20`);
    return `node ${version.slice(1).join('.')} runs (node -e)`;
  },
}));

/** nginx: serves a file copied into /usr/share/nginx/html with 200 and the right body. */
export const smokeNginx = smokeCheck('nginx', () => {
  const body = `prodlike smoke ${token()}\n`;
  return {
    container: (c, Wait) =>
      c
        .withCopyContentToContainer([{ content: body, target: '/usr/share/nginx/html/prodlike-smoke.txt', mode: 0o644 }])
        .withExposedPorts(80)
        .withWaitStrategy(Wait.forHttp('/', 80).forStatusCode(200)),
    async assess(container, fail) {
      const url = `http://${connectHost(container)}:${container.getMappedPort(80)}/prodlike-smoke.txt`;
      const served = await checkOnce(Check.http(url, { expectBody: body }), 10_000);
      if (!served.ok) throw fail(`GET ${url} did not serve the copied file`, served.error);
      const version = /nginx\/(\S+)/.exec((await container.exec(['nginx', '-v'])).output)?.[1] ?? 'unknown';
      return `nginx ${version} served a copied file with 200`;
    },
  };
});

export const SMOKE_CHECKS = {
  postgres: smokePostgres,
  redis: smokeRedis,
  minio: smokeMinio,
  k6: smokeK6,
  node: smokeNode,
  nginx: smokeNginx,
} as const satisfies Record<string, SmokeCheck>;

export type SmokeCheckName = keyof typeof SMOKE_CHECKS;
