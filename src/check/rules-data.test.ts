import { describe, expect, it } from 'vitest';
import { backupRule } from './rules/backup.ts';
import { redisLossBoundMs, redisRule } from './rules/redis.ts';
import { profile, runRule, SRC, testProfile, workload } from './test-helpers.ts';

const POSTGRES = workload({ kind: 'StatefulSet', name: 'postgres', container: `        - name: postgres
          image: postgres:15-alpine` });

const backupCronJob = (schedule: string, extra = '') => `---
apiVersion: batch/v1
kind: CronJob
metadata: { name: db-dump, namespace: app-backend }
spec:
  schedule: "${schedule}"
${extra}  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: dump
              image: postgres:15-alpine
              command: ["/bin/sh", "-c", "pg_dump -h postgres-service -U postgres app | gzip > /backups/x.sql.gz"]
`;

describe('backup-interval-exceeds-rpo', () => {
  it('fails when the CronJob interval is longer than the RPO (document 004: 15 min vs a daily dump)', async () => {
    const f = runRule(backupRule, POSTGRES + backupCronJob('0 2 * * *'), await profile('platform'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { intervalMs: 24 * 3_600_000, rpoMs: 15 * 60_000, schedule: '0 2 * * *' } });
    expect(f[0]!.targets[0]!.reference).toMatch(/^doc 004 .*§Overview › Design Goals$/);
  });

  it('passes when the interval is shorter than the RPO, and notes an interval exactly equal to it', async () => {
    const rpo1h = testProfile({ targets: [{ id: 'db.rpo', metric: 'rpo', component: 'postgres', max: '1h', source: SRC }] });
    expect(runRule(backupRule, POSTGRES + backupCronJob('*/30 * * * *'), rpo1h)).toEqual([]);
    const equal = runRule(backupRule, POSTGRES + backupCronJob('0 2 * * *'), await profile('onprem'));
    expect(equal.map((f) => f.severity)).toEqual(['info']);
    expect(equal[0]!.message).toMatch(/exactly the 24h RPO/);
  });

  it('fails when a database with an RPO has no backup, or only a suspended one', async () => {
    const none = runRule(backupRule, POSTGRES, await profile('onprem'));
    expect(none).toHaveLength(1);
    expect(none[0]).toMatchObject({ severity: 'error' });
    expect(none[0]!.message).toMatch(/no backup in the manifests/);
    const suspended = runRule(backupRule, POSTGRES + backupCronJob('0 2 * * *', '  suspend: true\n'), await profile('onprem'));
    expect(suspended[0]!.message).toMatch(/suspended/);
  });

  it('reads the time zone: a daily run in Europe/Paris leaves a 25 h gap against a 24 h RPO', async () => {
    const f = runRule(backupRule, POSTGRES + backupCronJob('0 2 * * *', '  timeZone: Europe/Paris\n'), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
  });

  it('only warns for object storage without backup (its snapshots may live outside the cluster), and ignores stateless pods (RPO 0)', async () => {
    const minio = workload({ kind: 'StatefulSet', name: 'minio', container: `        - name: minio
          image: quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z` });
    const f = runRule(backupRule, minio + workload({ name: 'backend', replicas: 3 }), await profile('onprem'));
    expect(f.map((x) => [x.severity, x.objects[0]!.name])).toEqual([['warning', 'minio']]);
  });

  it('reports an unusable schedule', async () => {
    const f = runRule(backupRule, POSTGRES + backupCronJob('0 2 * * * *'), await profile('onprem'));
    expect(f[0]!.message).toMatch(/unusable schedule.*5 fields/);
  });
});

const redis = (command: string, volume = 'persistentVolumeClaim: { claimName: redis-pvc }') => workload({
  name: 'redis',
  container: `        - name: redis
          image: redis:7.0-alpine
          command: ${command}
          volumeMounts: [{ name: redis-data, mountPath: /data }]
      volumes:
        - name: redis-data
          ${volume}`,
});

describe('redis-persistence-vs-rpo', () => {
  it("passes document 001's Redis: AOF with appendfsync everysec (≤ 2 s) on a PVC against the 1 min RPO", async () => {
    expect(runRule(redisRule, redis('["redis-server", "--appendonly", "yes", "--appendfsync", "everysec"]'), await profile('onprem'))).toEqual([]);
  });

  it('fails without AOF where an RPO of minutes is promised (RDB defaults: a single write waits 3600 s)', async () => {
    const f = runRule(redisRule, redis('["redis-server"]'), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/no AOF; RDB snapshots .* 3600 s/);
    expect(f[0]!.targets[0]).toMatchObject({ id: 'redis.rpo', source: { quote: 'Redis | 1 minute | 5 minutes | Continuous (AOF)' } });
  });

  it('fails when appendfsync is looser than the RPO, and for an AOF on an emptyDir', async () => {
    const rpo10s = testProfile({ targets: [{ id: 'redis.rpo', metric: 'rpo', component: 'redis', max: '10s', source: SRC }] });
    expect(runRule(redisRule, redis('["redis-server", "--appendonly", "yes", "--appendfsync", "no"]'), rpo10s)[0]!.message).toMatch(/appendfsync no/);
    expect(runRule(redisRule, redis('["redis-server", "--appendonly", "yes"]'), rpo10s)).toEqual([]);
    const ephemeral = runRule(redisRule, redis('["redis-server", "--appendonly", "yes"]', 'emptyDir: {}'), rpo10s);
    expect(ephemeral[0]!.message).toMatch(/not a PersistentVolumeClaim/);
  });

  it('reads a mounted redis.conf, and args override it', async () => {
    const conf = `---
apiVersion: v1
kind: ConfigMap
metadata: { name: redis-conf, namespace: app-backend }
data:
  redis.conf: |
    appendonly no
    save ""
`;
    const withConf = (args: string) => conf + workload({
      name: 'redis',
      container: `        - name: redis
          image: redis:7.0-alpine
          args: ${args}
          volumeMounts: [{ name: conf, mountPath: /etc/redis }, { name: data, mountPath: /data }]
      volumes:
        - { name: conf, configMap: { name: redis-conf } }
        - { name: data, persistentVolumeClaim: { claimName: redis-pvc } }`,
    });
    const sel = await profile('onprem');
    expect(runRule(redisRule, withConf('["redis-server", "/etc/redis/redis.conf"]'), sel)[0]!.message).toMatch(/no AOF and no RDB snapshots/);
    expect(runRule(redisRule, withConf('["redis-server", "/etc/redis/redis.conf", "--appendonly", "yes"]'), sel)).toEqual([]);
  });

  it('bounds the loss window per setting', () => {
    const p = { appendonly: true, appendfsync: 'always', save: [], dir: '/data', from: {} as never };
    expect(redisLossBoundMs(p).ms).toBe(0);
    expect(redisLossBoundMs({ ...p, appendonly: false, save: [[900, 1], [300, 10]] }).ms).toBe(900_000);
    expect(redisLossBoundMs({ ...p, appendonly: false, save: [[300, 10]] }).ms).toBe(Infinity);
  });
});
