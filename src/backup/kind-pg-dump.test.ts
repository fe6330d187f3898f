import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { containerDurations, jobState, kindBackupTarget, manualJobName, parseBackupLogs, psqlInPod, streamDumpIntoPod, type JobPod, type KindBackupTarget } from './kind-pg-dump.ts';

/** A running PostgreSQL pod whose first container is a sidecar: the role's port picks the database's. */
const PODS = { items: [{ metadata: { name: 'postgres-0' }, spec: { containers: [{ name: 'exporter', image: 'e', ports: [{ containerPort: 9187 }] }, { name: 'postgres', image: 'p', ports: [{ containerPort: 5432 }] }] }, status: { phase: 'Running' } }] };

describe('kind PostgreSQL dump helpers', () => {
  it('names a manual run of the CronJob as a DNS label', () => {
    expect(manualJobName('postgres-backup', 1_700_000_000_000)).toBe(`postgres-backup-manual-${(1_700_000_000_000).toString(36)}`);
    expect(() => manualJobName('x'.repeat(60))).toThrow(RangeError);
  });

  it('reads the dump file, its size and the uploaded object from the two containers\' logs', () => {
    const dump = 'Backup complete: /backups/backup-20261122-083831.sql.gz (1846 bytes)\n';
    const upload = [
      '`/backups/backup-20261122-083831.sql.gz` -> `store/saasit-backups/postgres/backup-20261122-083831.sql.gz`',
      '│ 1.80 KiB │ 1.80 KiB    │ 00m00s   │ 4.37 KiB/s │',
      'Uploaded: s3://saasit-backups/postgres/backup-20261122-083831.sql.gz',
    ].join('\n');
    expect(parseBackupLogs(dump, upload)).toEqual({ file: '/backups/backup-20261122-083831.sql.gz', bytes: 1846, bucket: 'saasit-backups', objectName: 'postgres/backup-20261122-083831.sql.gz' });
    // the document's original line (no size) still names the file
    expect(parseBackupLogs('Backup complete: /backups/b.sql.gz', '')).toEqual({ file: '/backups/b.sql.gz' });
  });

  it('decides a Job from its conditions, and fails fast on a container that exited non-zero', () => {
    const job = (conditions: { type: string; status: string; reason?: string }[] = []) => ({ metadata: { name: 'j' }, status: { conditions } });
    const pod = (exitCode?: number, init = true): JobPod => {
      const status = { name: init ? 'postgres-backup' : 'upload', restartCount: 1, ...(exitCode === undefined ? {} : { lastState: { terminated: { exitCode, reason: 'Error' } } }) };
      return { metadata: { name: 'j-abc' }, status: init ? { initContainerStatuses: [status] } : { containerStatuses: [status] } };
    };
    expect(jobState(job(), [pod()])).toEqual({ state: 'running' });
    expect(jobState(job([{ type: 'Complete', status: 'True' }]), [])).toEqual({ state: 'complete' });
    expect(jobState(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]), [])).toEqual({ state: 'failed', reason: 'Job failed: BackoffLimitExceeded' });
    expect(jobState(job(), [pod(2)])).toEqual({ state: 'failed', reason: 'container postgres-backup of pod j-abc exited 2 (Error), restarted 1×' });
    expect(jobState(job(), [pod(0, false)])).toEqual({ state: 'running' });
  });

  it('reads how long each container of the Job pod ran', () => {
    const terminated = (startedAt: string, finishedAt: string) => ({ state: { terminated: { exitCode: 0, startedAt, finishedAt } } });
    expect(containerDurations({ metadata: { name: 'p' }, status: {
      initContainerStatuses: [{ name: 'postgres-backup', ...terminated('2026-11-22T08:44:24Z', '2026-11-22T08:44:27Z') }],
      containerStatuses: [{ name: 'upload', ...terminated('2026-11-22T08:44:28Z', '2026-11-22T08:44:37Z') }, { name: 'running', state: {} }],
    } })).toEqual([{ container: 'postgres-backup', ms: 3000 }, { container: 'upload', ms: 9000 }]);
  });

  it('runs psql in postgres-0 of app-backend only, with the guard first', async () => {
    const calls: string[] = [];
    const target = (namespace?: string): KindBackupTarget => ({
      ...kindBackupTarget(configSchema.parse({}), 'postgres', {
        guard: async (op) => void calls.push(`guard ${op}`),
        kubectl: {
          bin: 'kubectl', kubeconfig: '/k', context: 'kind-prodlike-x',
          run: async (args: string[]) => {
            calls.push(args.join(' '));
            return { exitCode: 0, stdout: 'ok', stderr: '', durationMs: 1 } as never;
          },
          json: async (args: string[]) => {
            calls.push(`json ${args.join(' ')}`);
            return PODS as never;
          },
        },
      }),
      ...(namespace ? { namespace } : {}),
    });
    expect(await psqlInPod(target(), ['-c', 'SELECT 1'])).toBe('ok');
    // the pod by the role's selector, the container by the role's port (not the first one)
    expect(calls).toEqual(['json -n app-backend get pods -l app=postgres', '-n app-backend exec postgres-0 -c postgres -- psql -U postgres -v ON_ERROR_STOP=1 -X -c SELECT 1']);
    await expect(psqlInPod(target('kube-system'), ['-c', 'SELECT 1'])).rejects.toThrow(/not one of prodlike's/);
  });

  it('acts in the configured namespace of the role, fenced by the environment\'s namespaces', () => {
    const kubectl = { bin: 'kubectl', kubeconfig: '/k', context: 'kind-prodlike-x', run: async () => ({}) as never, json: async () => ({}) as never };
    const config = configSchema.parse({ topology: { postgres: { namespace: 'data' }, redis: { namespace: 'cache' } }, executions: { namespace: 'jobs' } });
    expect(kindBackupTarget(config, 'postgres', { kubectl, guard: async () => undefined })).toMatchObject({ namespace: 'data' });
    const redis = kindBackupTarget(config, 'redis', { kubectl, guard: async () => undefined });
    expect(redis.namespace).toBe('cache');
    expect(redis.namespaces).toEqual(['data', 'cache', 'app-backend', 'app-frontend', 'jobs']);
  });
});

describe('streamDumpIntoPod', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pipes the gunzipped dump into `kubectl exec -i … psql` and fails with psql\'s stderr on a non-zero exit', async () => {
    dir = await mkdtemp(join(tmpdir(), 'prodlike-stream-'));
    // A stand-in for kubectl: records its argv and stdin, exits with $FAKE_EXIT.
    const bin = join(dir, 'kubectl');
    await writeFile(bin, `#!/bin/sh\necho "$@" > ${dir}/argv\ncat > ${dir}/stdin\necho 'ERROR:  relation "users" does not exist' >&2\nexit "\${FAKE_EXIT:-0}"\n`);
    await chmod(bin, 0o755);
    const dump = join(dir, 'dump.sql.gz');
    const sql = 'CREATE TABLE t (id int);\n'.repeat(5000);
    await writeFile(dump, gzipSync(sql));
    const target = kindBackupTarget(configSchema.parse({}), 'postgres', { guard: async () => undefined, kubectl: { bin, kubeconfig: '/k', context: 'kind-prodlike-x', run: async () => ({}) as never, json: async () => PODS as never } });
    await streamDumpIntoPod(target, dump, 'ai_saas_db');
    expect(await readFile(join(dir, 'stdin'), 'utf8')).toBe(sql);
    expect((await readFile(join(dir, 'argv'), 'utf8')).trim()).toBe('--kubeconfig /k --context kind-prodlike-x -n app-backend exec -i postgres-0 -c postgres -- psql -U postgres -d ai_saas_db -v ON_ERROR_STOP=1 -X -q');
    process.env.FAKE_EXIT = '3';
    try {
      await expect(streamDumpIntoPod(target, dump, 'ai_saas_db')).rejects.toThrow(/exited 3: ERROR: {2}relation "users" does not exist/);
    } finally {
      delete process.env.FAKE_EXIT;
    }
  });
});
