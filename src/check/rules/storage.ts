/** Where data lives: data stores on storage that dies with the pod, backups that write nowhere durable. */
import { isDataStore, matchComponent, obj } from '../components.ts';
import { fromTarget, type CheckContext, type Finding, type Rule } from '../finding.ts';
import { mainContainers, type Container, type Workload } from '../model.ts';
import { recognize, type Recognition } from '../recognize.ts';
import { redisLossBoundMs, redisPersistence } from './redis.ts';

/** Where each engine keeps its data by default (official and Bitnami images). */
const DATA_DIRS: Record<string, string[]> = {
  postgres: ['/var/lib/postgresql/data', '/var/lib/postgresql', '/bitnami/postgresql', '/var/lib/pgsql', '/home/postgres/pgdata'],
  mysql: ['/var/lib/mysql', '/bitnami/mysql', '/bitnami/mariadb'],
  mongo: ['/data/db', '/bitnami/mongodb'],
  redis: ['/data', '/bitnami/redis/data'],
  'object-store': ['/data', '/export', '/bitnami/minio/data'],
  rabbitmq: ['/var/lib/rabbitmq', '/bitnami/rabbitmq/mnesia'],
  kafka: ['/var/lib/kafka', '/bitnami/kafka'],
  elasticsearch: ['/usr/share/elasticsearch/data', '/usr/share/opensearch/data'],
  cassandra: ['/var/lib/cassandra'],
  etcd: ['/var/lib/etcd', '/var/run/etcd'],
};

export type Storage = 'persistent' | 'emptyDir' | 'container filesystem' | 'memory' | 'hostPath';

export interface DataLocation {
  dir?: string;
  storage: Storage;
  volume?: string;
  why: string;
}

function mountOf(c: Container, dir: string): Container['volumeMounts'][number] | undefined {
  return c.volumeMounts
    .filter((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

function storageOf(w: Workload, volume: string): Storage | undefined {
  if (w.volumeClaimTemplates.includes(volume)) return 'persistent';
  const v = w.template.volumes.find((x) => x.name === volume);
  if (!v) return undefined;
  if (v.persistentVolumeClaim !== undefined) return 'persistent';
  if (v.emptyDir) return 'emptyDir';
  if (v.hostPath !== undefined) return 'hostPath';
  return undefined;
}

function argValue(c: Container, names: string[]): string | undefined {
  const args = [...c.command, ...c.args].flatMap((a) => a.split(/\s+/));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n && args[i + 1]) return args[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}

/** The data directory of a recognised store and the storage under it. */
export function dataLocation(ctx: CheckContext, w: Workload, r: Recognition): DataLocation {
  const containers = mainContainers(w.template);
  const c = containers.find((x) => recognize({ ...w, template: { ...w.template, containers: [x], initContainers: [] } })?.name === r.name) ?? containers[0]!;
  if (r.name === 'dynamodb' && [...c.command, ...c.args].some((a) => /-inMemory\b/.test(a))) return { storage: 'memory', why: 'DynamoDB Local runs with -inMemory' };
  const explicit = c.env.find((e) => e.name === 'PGDATA' || e.name === 'MYSQL_DATADIR')?.value
    ?? (r.name === 'redis' ? redisDir(ctx, w, c) : undefined)
    ?? (r.name === 'object-store' ? [...c.command, ...c.args].flatMap((a) => a.split(/\s+/)).find((a, i, all) => all[i - 1] === 'server' && a.startsWith('/')) : undefined)
    ?? argValue(c, ['--datadir', '-dbPath', '--dbpath', '--data-dir', '--path.data']);
  const candidates = explicit ? [explicit] : (DATA_DIRS[r.name] ?? []);
  for (const dir of candidates) {
    const m = mountOf(c, dir);
    if (!m) continue;
    const storage = storageOf(w, m.name);
    if (storage) return { dir, storage, volume: m.name, why: `${dir} is on volume ${m.name} (${storage === 'persistent' ? 'a PersistentVolumeClaim' : storage})` };
  }
  const persistentMounts = c.volumeMounts.filter((m) => storageOf(w, m.name) === 'persistent');
  if (persistentMounts.length > 0 && !explicit) return { storage: 'persistent', volume: persistentMounts[0]!.name, why: `a PersistentVolumeClaim is mounted at ${persistentMounts[0]!.mountPath}` };
  const dir = candidates[0];
  return { ...(dir ? { dir } : {}), storage: 'container filesystem', why: dir ? `no volume is mounted at ${dir}: the data is in the container's writable layer` : 'no persistent volume is mounted' };
}

/** Redis' dir when the arguments or a mounted redis.conf set it (the image's own config may move the default). */
function redisDir(ctx: CheckContext, w: Workload, c: Container): string | undefined {
  const p = redisPersistence(ctx, w, c);
  return p.from.dir === 'default' ? undefined : p.dir;
}

const CATEGORY_TEXT: Record<string, string> = { database: 'database', cache: 'cache', 'object-store': 'object store', queue: 'message queue', search: 'search index' };

export const ephemeralDataRule: Rule = {
  id: 'data-store-ephemeral-storage',
  title: 'Data store keeps its data on storage that dies with the pod',
  severity: 'error',
  description: 'A workload recognised as a data store (by image, data directory, port or labels) whose data directory is on an '
    + 'emptyDir, in memory or in the container filesystem: a rollout, eviction, node loss or crash loop deletes the data. Error for '
    + 'databases and object stores; warning for caches, queues and search indexes (which may be rebuilt), error for them too '
    + 'when the profile gives them an RPO.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const w of ctx.manifests.workloads) {
      const r = recognize(w);
      if (!r) continue;
      const loc = dataLocation(ctx, w, r);
      if (loc.storage === 'persistent' || loc.storage === 'hostPath') continue;
      const rpo = ctx.selected.profile.targets.filter((t) => t.metric === 'rpo' && t.maxValue && t.kind !== 'report' && matchComponent(ctx, t.component).workloads.includes(w));
      if (r.name === 'redis' && rpo.some((t) => redisRuleReportsDir(ctx, w, t.maxValue!))) continue; // redis-persistence-vs-rpo says it
      const severe = r.category === 'database' || r.category === 'object-store' || rpo.length > 0;
      findings.push({
        ruleId: this.id,
        severity: severe ? 'error' : 'warning',
        message: `${w.kind} ${w.namespace}/${w.name} is a ${CATEGORY_TEXT[r.category]} (${r.name}, recognised by ${r.evidence}) whose data is ${loc.storage === 'memory' ? 'in memory' : `on ${loc.storage === 'emptyDir' ? 'an emptyDir' : 'the container filesystem'}`}: ${loc.why}. `
          + 'A rollout, eviction, node loss or restart of the pod deletes everything it stored'
          + `${rpo.length ? `, whatever the ${rpo.map((t) => `RPO ${t.max} (${t.id})`).join(', ')} says` : ''}.`,
        hint: w.kind === 'StatefulSet'
          ? `Add a volumeClaimTemplate and mount it at ${loc.dir ?? 'the data directory'}${isDataStore(ctx, w) && r.category === 'database' ? ', and back it up (a CronJob dump to object storage)' : ''}; or use a managed service.`
          : `Run it as a StatefulSet with a volumeClaimTemplate (or mount a PersistentVolumeClaim) at ${loc.dir ?? 'the data directory'}; or use a managed service and drop it from the manifests.`,
        objects: [obj(ctx, w)],
        targets: rpo.map((t) => fromTarget(ctx, t)),
        details: { engine: r.name, category: r.category, recognisedBy: r.evidence, dataDir: loc.dir ?? null, storage: loc.storage, volume: loc.volume ?? null },
      });
    }
    return findings;
  },
};

function redisRuleReportsDir(ctx: CheckContext, w: Workload, rpoMs: number): boolean {
  return w.template.containers.some((c) => {
    const p = redisPersistence(ctx, w, c);
    // redis-persistence-vs-rpo checks the directory when the persistence settings meet the RPO.
    return redisLossBoundMs(p).ms <= rpoMs && (p.appendonly || p.save.length > 0);
  });
}

/** Commands that copy a backup off the pod. */
const UPLOAD = /\b(aws\s+s3\s+(cp|sync|mv)|s3cmd\s+put|mc\s+(cp|mirror|put)|rclone\s+(copy|sync|move)|gsutil\s+(cp|rsync)|gcloud\s+storage\s+cp|az\s+storage\s+blob\s+upload|azcopy|restic\s+backup|borg\s+create|kopia\s+snapshot|wal-g\s+\S*push|pgbackrest\b|barman\b|velero\s+backup|curl\b[^\n]*(-T|--upload-file)|scp\s|rsync\s[^\n]*:)/;
const BACKUP_TOOLS = /\b(pg_dump|pg_dumpall|pg_basebackup|mysqldump|mariadb-dump|mongodump|redis-cli\s+[^\n]*--rdb|etcdctl\s+snapshot)\b/;

/** Paths a shell script writes the dump to: `> /backups/x.sql`, `-f /x`, `--file=/x`, `-o /x`, `--out /x`. */
function writtenPaths(script: string): string[] {
  const out: string[] = [];
  for (const m of script.matchAll(/(?:>{1,2}|\s-f|\s--file[= ]|\s-o|\s--out(?:put)?[= ]|\s--archive=)\s*["']?(\/[^\s"';|]+)/g)) out.push(m[1]!.replace(/\$\{?[A-Za-z_]+\}?.*$/, '') || m[1]!);
  return out.filter((p) => !p.startsWith('/dev/'));
}

export const backupDurabilityRule: Rule = {
  id: 'backup-not-durable',
  title: 'Backup writes nowhere durable',
  severity: 'error',
  description: 'A backup CronJob (pg_dump, mysqldump, mongodump…) that writes its dump to an emptyDir or the container filesystem and '
    + 'never copies it off the pod (aws s3 cp, mc cp, rclone, gsutil, restic…): the file is deleted with the Job\'s pod, so there '
    + 'is nothing to restore from.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const cj of ctx.manifests.workloads.filter((w) => w.kind === 'CronJob' || w.kind === 'Job')) {
      const containers = [...cj.template.initContainers, ...cj.template.containers];
      const script = containers.map((c) => [...c.command, ...c.args].join(' ')).join('\n');
      if (!BACKUP_TOOLS.test(script)) continue;
      if (UPLOAD.test(script)) continue;
      const paths = writtenPaths(script);
      const where = paths.map((p) => {
        const c = containers.find((x) => mountOf(x, p)) ?? containers[0]!;
        const m = mountOf(c, p);
        return { path: p, volume: m?.name, storage: m ? storageOf(cj, m.name) : 'container filesystem' as Storage | undefined };
      });
      const anyPersistent = where.some((x) => x.storage === 'persistent' || x.storage === 'hostPath')
        || (where.length === 0 && containers.some((c) => c.volumeMounts.some((m) => storageOf(cj, m.name) === 'persistent')));
      if (anyPersistent) continue;
      const text = where.length
        ? where.map((x) => `${x.path} (${x.volume ? `volume ${x.volume}, ${x.storage ?? 'not a PersistentVolumeClaim'}` : 'the container filesystem'})`).join(', ')
        : 'the container filesystem (no PersistentVolumeClaim mounted)';
      findings.push({
        ruleId: this.id,
        severity: 'error',
        message: `${cj.kind} ${cj.namespace}/${cj.name} takes a backup but writes it to ${text} and copies it nowhere (no aws s3 cp, mc cp, rclone, gsutil, restic…): the dump is deleted with the Job's pod, so there is nothing to restore from.`,
        hint: 'Copy the dump off the pod (object storage outside the cluster: `aws s3 cp`, `mc cp`, `rclone copy`), or write it to a PersistentVolumeClaim that is not the database\'s own volume; then restore from it once (`prodlike run backup-restore`).',
        objects: [obj(ctx, cj)],
        targets: [],
        details: { writes: where.map((x) => ({ path: x.path, volume: x.volume ?? null, storage: x.storage ?? null })) },
      });
    }
    return findings;
  },
};
