import { describe, expect, it } from 'vitest';
import { backupDurabilityRule, ephemeralDataRule } from './rules/storage.ts';
import { dataStoreTargetUnmatchedRule } from './rules/target-coverage.ts';
import { profile, runRule, workload } from './test-helpers.ts';

/** The retail store's pattern: a database StatefulSet whose data directory is an emptyDir. */
const MYSQL_EMPTYDIR = workload({
  kind: 'StatefulSet',
  name: 'catalog-mysql',
  namespace: 'shop',
  container: `        - name: mysql
          image: public.ecr.aws/docker/library/mysql:8.0
          volumeMounts: [{ name: data, mountPath: /var/lib/mysql }]`,
  podExtra: '      volumes: [{ name: data, emptyDir: {} }]\n',
});

const PG_PVC = workload({
  kind: 'StatefulSet',
  name: 'orders-db',
  namespace: 'shop',
  container: `        - name: postgres
          image: postgres:16.1
          env: [{ name: PGDATA, value: /data/pgdata }]
          volumeMounts: [{ name: data, mountPath: /data }]`,
  extraSpec: '  volumeClaimTemplates: [{ metadata: { name: data }, spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } } }]\n',
});

describe('data-store-ephemeral-storage', () => {
  it('fails a database whose data directory is an emptyDir, naming the directory and the RPO', async () => {
    const f = runRule(ephemeralDataRule, MYSQL_EMPTYDIR, await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { engine: 'mysql', dataDir: '/var/lib/mysql', storage: 'emptyDir', volume: 'data' }, targets: [{ id: 'postgres.restore.rpo' }] });
    expect(f[0]!.message).toMatch(/catalog-mysql is a database \(mysql, recognised by image public\.ecr\.aws\/docker\/library\/mysql:8\.0\) whose data is on an emptyDir/);
  });

  it('fails a database with no volume at all (container filesystem), passes one on a volumeClaimTemplate (PGDATA honoured)', async () => {
    const bare = workload({ name: 'db', namespace: 'shop', container: '        - name: db\n          image: postgres:15-alpine' });
    expect(runRule(ephemeralDataRule, bare, await profile('onprem'))[0]).toMatchObject({ severity: 'error', details: { storage: 'container filesystem', dataDir: '/var/lib/postgresql/data' } });
    expect(runRule(ephemeralDataRule, PG_PVC, await profile('onprem'))).toEqual([]);
  });

  it('warns for a queue without an RPO; a Redis with a PVC at a non-default directory passes (Sourcegraph redis-store)', async () => {
    const rabbit = workload({ kind: 'StatefulSet', name: 'orders-rabbitmq', namespace: 'shop', container: '        - name: rabbitmq\n          image: rabbitmq:3-management' });
    expect(runRule(ephemeralDataRule, rabbit, await profile('onprem'))[0]).toMatchObject({ severity: 'warning', details: { engine: 'rabbitmq' } });
    const redis = workload({
      name: 'redis-store', namespace: 'sg',
      container: '        - name: redis-store\n          image: sourcegraph/redis-store:6.2\n          volumeMounts: [{ name: redis-data, mountPath: /redis-data }]',
      podExtra: '      volumes: [{ name: redis-data, persistentVolumeClaim: { claimName: redis-store } }]\n',
    });
    expect(runRule(ephemeralDataRule, redis, await profile('onprem'))).toEqual([]);
  });
});

const cronJob = (name: string, script: string, volumes: string, mounts: string) => `---
apiVersion: batch/v1
kind: CronJob
metadata: { name: ${name}, namespace: shop }
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: dump
              image: postgres:16
              command: ["/bin/sh", "-c"]
              args: ["${script}"]
${mounts}
${volumes}
`;

describe('backup-not-durable', () => {
  it('fails a dump written to an emptyDir and copied nowhere', async () => {
    const f = runRule(backupDurabilityRule, cronJob('db-backup', 'pg_dump -h db shop | gzip > /backups/shop.sql.gz', '          volumes: [{ name: backups, emptyDir: {} }]', '              volumeMounts: [{ name: backups, mountPath: /backups }]'), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { writes: [{ path: '/backups/shop.sql.gz', volume: 'backups', storage: 'emptyDir' }] } });
  });

  it('passes a dump uploaded off the pod (aws s3 cp, mc cp) or written to a PersistentVolumeClaim', async () => {
    const sel = await profile('onprem');
    expect(runRule(backupDurabilityRule, cronJob('a', 'pg_dump shop > /tmp/x.sql && aws s3 cp /tmp/x.sql s3://bucket/', '', ''), sel)).toEqual([]);
    expect(runRule(backupDurabilityRule, cronJob('b', 'pg_dump shop > /backups/x.sql', '          volumes: [{ name: backups, persistentVolumeClaim: { claimName: backups } }]', '              volumeMounts: [{ name: backups, mountPath: /backups }]'), sel)).toEqual([]);
  });
});

describe('data-store-target-unmatched', () => {
  it('warns once, listing the data-store targets that applied to no workload and how to map one', async () => {
    const f = runRule(dataStoreTargetUnmatchedRule, workload({ name: 'web', namespace: 'shop' }), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.details).toMatchObject({ targets: ['redis.rto', 'redis.rpo', 'postgres.restore.rto', 'postgres.restore.rpo', 'postgres.failover.rto', 'files.restore.rto', 'files.restore.rpo'] });
    expect(f[0]!.hint).toMatch(/check: \{ components: \{ redis: \[statefulset\/<name>\] \} \}/);
    expect(runRule(dataStoreTargetUnmatchedRule, MYSQL_EMPTYDIR, await profile('platform'))).toEqual([]);
  });
});
