import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { environmentNamespaces, resolveWorkload, type ProdlikeConfig, type WorkloadRole } from '../config/schema.ts';
import { waitFor } from '../core/wait.ts';
import { hrNow } from '../measure/clock.ts';
import { kubectlStream, type Kubectl } from '../kube/kubectl.ts';
import { selectorOf } from '../providers/kind/kind-workloads.ts';
import type { JobObject } from '../kube/objects.ts';

/**
 * Document 001 §Backup and Recovery on the kind provider, as written where it works, with the names from the
 * configuration (defaults: document 001's):
 *  - backup: the team's backup CronJob (`backup.postgres.cronJob`; document 001's by default,
 *    kind/manifests/base/) triggered as a Job (`kubectl create job --from=cronjob/…`),
 *    waited on its Complete/Failed condition; the dump is the object its logs name ("Uploaded:
 *    s3://<bucket>/<key>") or else the newest object under `backup.postgres.prefix` written after the Job started;
 *  - restore (§2 PostgreSQL Restore): psql in the PostgreSQL pod (found by the role's selector; document 001
 *    names it postgres-0) to drop and recreate the database, then `gunzip -c $BACKUP_FILE | kubectl exec -i
 *    <pod> -- psql -d <database>`, and a count check.
 * Every call names the environment's kubeconfig and context (Kubectl) and passes the ownership guard first.
 */

function namespaceOf(t: KindBackupTarget): string {
  const ns = t.namespace;
  if (!t.namespaces.includes(ns)) throw new RangeError(`namespace "${ns}" is not one of prodlike's (${t.namespaces.join(', ')})`);
  return ns;
}

export interface KindBackupTarget {
  kubectl: Pick<Kubectl, 'run' | 'json' | 'bin' | 'kubeconfig' | 'context'>;
  /** The ownership guard (scenario-env's `faults(…).guard`): throws for anything not this environment's. */
  guard: (operation: string, service?: WorkloadRole) => Promise<void>;
  /** The namespace acted in: the role's in the configuration (kindBackupTarget). */
  namespace: string;
  /** The environment's namespaces (environmentNamespaces): the only ones these procedures act in. */
  namespaces: readonly string[];
  /** The role's pods (`app=postgres`), from the configuration's selector. */
  selector: string;
  /** The role's port: the container serving it is the one exec'd into. */
  port: number;
  /** The PostgreSQL user psql runs as (`database.user`). */
  user: string;
  /** The backup bucket (`backup.bucket`). */
  bucket: string;
  /** The backup CronJob and where its dumps land (`backup.postgres`). */
  cronJob: string;
  prefix: string;
}

/** The target for `role`'s procedures: its namespace, selector and port from the configuration, the environment's namespaces as the fence. */
export function kindBackupTarget(config: ProdlikeConfig, role: 'postgres' | 'redis', base: Pick<KindBackupTarget, 'kubectl' | 'guard'>): KindBackupTarget {
  const w = resolveWorkload(config, role);
  return {
    ...base, namespace: w.namespace, namespaces: environmentNamespaces(config), selector: selectorOf(w.selector), port: w.port,
    user: config.database.user, bucket: config.backup.bucket, cronJob: config.backup.postgres.cronJob, prefix: config.backup.postgres.prefix,
  };
}

interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string; ports?: { containerPort: number }[]; volumeMounts?: { name: string; mountPath: string }[] }[]; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status?: { phase?: string };
}

/** A running pod of the role: the container that serves its port (else the first), its image, and the claim mounted at `dataPath`. */
export interface RolePod { name: string; container: string; image: string; claim?: string }

/** The role's running pod, found by its selector (document 001 names postgres-0 and redis-0; a team's names differ). */
export async function rolePod(t: KindBackupTarget, dataPath?: string): Promise<RolePod> {
  const ns = namespaceOf(t);
  const pods = await t.kubectl.json<{ items: PodView[] }>(['-n', ns, 'get', 'pods', '-l', t.selector]);
  const pod = pods.items.find((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
  if (!pod) throw new Error(`no running pod with ${t.selector} in ${ns}: is the environment up (prodlike status)? The selector is the role's in prodlike.yaml (topology.<role>.selector)`);
  const c = pod.spec.containers.find((x) => x.ports?.some((p) => p.containerPort === t.port)) ?? pod.spec.containers[0]!;
  const mount = dataPath ? c.volumeMounts?.find((m) => m.mountPath === dataPath) : undefined;
  const claim = mount ? pod.spec.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName : undefined;
  return { name: pod.metadata.name, container: c.name, image: c.image, ...(claim ? { claim } : {}) };
}

/** A Job name for a manual run of the CronJob: `<cronjob>-manual-<base36 time>`, a valid DNS label (≤ 63). */
export function manualJobName(cronJob: string, now = Date.now()): string {
  const name = `${cronJob}-manual-${now.toString(36)}`;
  if (name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new RangeError(`job name "${name}" is not a DNS label`);
  return name;
}

export interface BackupLogs {
  /** `/backups/backup-20261122-090000.sql.gz` (the pg_dump container's line). */
  file?: string;
  /** Size of the gzip dump as the job measured it. */
  bytes?: number;
  /** Object key in the backup bucket (`postgres/backup-….sql.gz`). */
  objectName?: string;
  bucket?: string;
}

/** Reads the documented "Backup complete: <file> (<n> bytes)" and the upload's "Uploaded: s3://<bucket>/<key>" lines. */
export function parseBackupLogs(dumpLog: string, uploadLog: string): BackupLogs {
  const out: BackupLogs = {};
  const done = /Backup complete: (\S+)(?: \((\d+) bytes\))?/.exec(dumpLog);
  if (done) {
    out.file = done[1]!;
    if (done[2] !== undefined) out.bytes = Number(done[2]);
  }
  const uploads = [...uploadLog.matchAll(/Uploaded: s3:\/\/([^/\s]+)\/(\S+)/g)];
  const mine = uploads.find((m) => out.file && m[2]!.endsWith(`/${out.file.split('/').pop()}`)) ?? uploads.at(-1);
  if (mine) {
    out.bucket = mine[1]!;
    out.objectName = mine[2]!;
  }
  return out;
}

interface Terminated { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string }
interface ContainerStatus { name: string; restartCount?: number; state?: { terminated?: Terminated }; lastState?: { terminated?: Terminated } }
export interface JobPod { metadata: { name: string }; status?: { phase?: string; initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] } }

/** How long each finished container of a Job pod ran (`startedAt` → `finishedAt`, 1 s API resolution), init containers first. */
export function containerDurations(pod: JobPod): { container: string; ms: number }[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].flatMap((c) => {
    const t = c.state?.terminated;
    if (!t?.startedAt || !t.finishedAt) return [];
    return [{ container: c.name, ms: Date.parse(t.finishedAt) - Date.parse(t.startedAt) }];
  });
}

export type JobState = { state: 'running' } | { state: 'complete' } | { state: 'failed'; reason: string };

/**
 * The Job's outcome. A container that exited non-zero fails it at once: with the documented
 * `restartPolicy: OnFailure` the kubelet would retry in place up to backoffLimit (6, minutes of back-off)
 * before the Job's Failed condition appears, and a broken backup should fail the scenario now.
 */
export function jobState(job: JobObject, pods: JobPod[]): JobState {
  const cond = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = cond('Failed');
  if (failed) return { state: 'failed', reason: `Job failed: ${failed.reason ?? '?'}${failed.message ? ` (${failed.message})` : ''}` };
  if (cond('Complete')) return { state: 'complete' };
  for (const p of pods) {
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const t = c.state?.terminated ?? c.lastState?.terminated;
      if (t && t.exitCode !== 0) return { state: 'failed', reason: `container ${c.name} of pod ${p.metadata.name} exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${c.restartCount ? `, restarted ${c.restartCount}×` : ''}` };
    }
  }
  return { state: 'running' };
}

export interface CronJobBackup extends BackupLogs {
  job: string;
  /** When `kubectl create job` was issued and when the Complete condition was seen (hrNow ms). */
  startedAt: number;
  completedAt: number;
  logs: string;
  /** Run time of each container of the Job's pod (pg_dump | gzip, then the upload), from the pod's status. */
  containers: { container: string; ms: number }[];
}

/** `kubectl -n <namespace> create job --from=cronjob/<cronJob> <name>`, then waits for Complete (or fails with the containers' logs). */
export async function runCronJobBackup(t: KindBackupTarget, options: { name?: string; timeoutMs?: number; signal?: AbortSignal; newestObject?: (since: number) => Promise<string | undefined> } = {}): Promise<CronJobBackup> {
  const ns = namespaceOf(t);
  const cronJob = t.cronJob;
  const job = options.name ?? manualJobName(cronJob);
  await t.guard(`create job ${job} from cronjob/${cronJob}`, 'postgres');
  const startedAt = hrNow();
  const startedWall = Date.now();
  await t.kubectl.run(['-n', ns, 'create', 'job', `--from=cronjob/${cronJob}`, job]);
  const logsOf = async (container: string) => (await t.kubectl.run(['-n', ns, 'logs', `job/${job}`, '-c', container, '--tail=200'], { allowFailure: true, timeoutMs: 30_000 })).stdout;
  const allLogs = async () => {
    const pods = await t.kubectl.json<{ items: (JobPod & { spec?: { initContainers?: { name: string }[]; containers?: { name: string }[] } })[] }>(['-n', ns, 'get', 'pods', '-l', `job-name=${job}`]).catch(() => ({ items: [] }));
    const names = [...new Set(pods.items.flatMap((p) => [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.name)))];
    return (await Promise.all(names.map(async (n) => `[${n}]\n${(await logsOf(n)).trim()}`))).join('\n');
  };
  const outcome = await waitFor(async () => {
    const [j, pods] = await Promise.all([
      t.kubectl.json<JobObject>(['-n', ns, 'get', 'job', job], { timeoutMs: 30_000 }),
      t.kubectl.json<{ items: JobPod[] }>(['-n', ns, 'get', 'pods', '-l', `job-name=${job}`], { timeoutMs: 30_000 }),
    ]);
    const s = jobState(j, pods.items);
    return s.state === 'running' ? undefined : { ...s, at: hrNow() };
  }, { timeoutMs: options.timeoutMs ?? 10 * 60_000, intervalMs: 500, description: `Job ${ns}/${job} (from cronjob/${cronJob}) to complete`, ...(options.signal ? { signal: options.signal } : {}) });
  const logs = await allLogs();
  const finished = await t.kubectl.json<{ items: JobPod[] }>(['-n', ns, 'get', 'pods', '-l', `job-name=${job}`], { timeoutMs: 30_000 }).catch(() => ({ items: [] as JobPod[] }));
  const containers = finished.items.flatMap(containerDurations);
  if (outcome.state === 'failed') throw new Error(`backup ${outcome.reason}\n${logs.split('\n').slice(-30).join('\n')}`);
  // Document 001's CronJob names its dump and upload in its logs; any other is found by what it wrote.
  const parsed = parseBackupLogs(logs, logs);
  if (!parsed.objectName) {
    // MinIO's Last-Modified has 1 s resolution: the window opens one second before the Job was created.
    const newest = await options.newestObject?.(startedWall - 1000);
    if (newest) Object.assign(parsed, { objectName: newest, bucket: t.bucket });
  }
  if (!parsed.objectName) throw new Error(`backup Job ${job} completed, but neither its logs name an uploaded object ("Uploaded: s3://<bucket>/<key>") nor did an object appear under s3://${t.bucket}/${t.prefix} after it started. Check that cronjob/${cronJob} uploads its dump there, or set backup.bucket and backup.postgres.prefix in prodlike.yaml. Its logs:\n${logs}`);
  return { job, startedAt, completedAt: outcome.at, logs, containers, ...parsed };
}

/** `kubectl exec <postgres pod> -- psql -U <user> …` (document 001's form, postgres-0 there), with ON_ERROR_STOP. */
export async function psqlInPod(t: KindBackupTarget, args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const ns = namespaceOf(t);
  const pod = await rolePod(t);
  const r = await t.kubectl.run(['-n', ns, 'exec', pod.name, '-c', pod.container, '--', 'psql', '-U', t.user, '-v', 'ON_ERROR_STOP=1', '-X', ...args], { timeoutMs: options.timeoutMs ?? 60_000 });
  return r.stdout;
}

/**
 * `gunzip -c <file> | kubectl exec -i postgres-0 -- psql -U postgres -d <db>`: streamed (the dump can be
 * large), with ON_ERROR_STOP so a partial restore fails instead of exiting 0 as the documented command does.
 */
export async function streamDumpIntoPod(t: KindBackupTarget, file: string, database: string, options: { timeoutMs?: number } = {}): Promise<{ durationMs: number; stderr: string }> {
  const started = hrNow();
  const ns = namespaceOf(t);
  const { name: pod, container } = await rolePod(t);
  // psql stopping early (ON_ERROR_STOP) breaks the pipe: its exit code and stderr say why, not the EPIPE.
  const r = await kubectlStream(t.kubectl, ['-n', ns, 'exec', '-i', pod, '-c', container, '--', 'psql', '-U', t.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q'], {
    stdin: [createReadStream(file), createGunzip()], timeoutMs: options.timeoutMs ?? 15 * 60_000, allowFailure: true,
  });
  if (r.exitCode !== 0) throw new Error(`restore (gunzip | kubectl exec -i ${pod} -- psql -d ${database}) exited ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-15).join('\n')}`);
  return { durationMs: hrNow() - started, stderr: r.stderr };
}

export interface DocumentedRestore {
  /** Row counts per table read back inside the pod (the document's step 4). */
  counts: Record<string, number>;
  restoreMs: number;
  steps: { step: string; at: number }[];
}

/**
 * Steps 2–4 of document 001's restore script (the caller scales the app down before and up after):
 * drop + recreate the database with psql in postgres-0, pipe the dump in, count rows of `verifyTables`.
 * Step 4 of the document counts `users`; the reference app has no such table, so the caller names the tables.
 */
export async function documentedRestore(t: KindBackupTarget, options: { file: string; database: string; verifyTables: string[] }): Promise<DocumentedRestore> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.database)) throw new RangeError(`database name "${options.database}" must be a lowercase SQL identifier`);
  for (const table of options.verifyTables) if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new RangeError(`table name "${table}" must be a lowercase SQL identifier`);
  await t.guard(`restore database ${options.database} in the pod with ${t.selector}`, 'postgres');
  const steps: { step: string; at: number }[] = [];
  // Document 001 §2 step 2 (the database is gone already in this scenario; IF EXISTS makes it a no-op then).
  await psqlInPod(t, ['-c', `DROP DATABASE IF EXISTS ${options.database};`]);
  await psqlInPod(t, ['-c', `CREATE DATABASE ${options.database};`]);
  steps.push({ step: 'database recreated', at: hrNow() });
  // Step 3.
  const restore = await streamDumpIntoPod(t, options.file, options.database);
  steps.push({ step: 'dump restored', at: hrNow() });
  // Step 4.
  const counts: Record<string, number> = {};
  const out = await psqlInPod(t, ['-d', options.database, '-At', '-c', options.verifyTables.map((tb) => `SELECT '${tb}', count(*) FROM ${tb}`).join(' UNION ALL ')]);
  for (const line of out.trim().split('\n')) {
    const [table, n] = line.split('|');
    if (table && n !== undefined) counts[table] = Number(n);
  }
  steps.push({ step: 'row counts read in the pod', at: hrNow() });
  return { counts, restoreMs: restore.durationMs, steps };
}
