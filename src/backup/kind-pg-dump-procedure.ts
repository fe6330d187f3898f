import { join } from 'node:path';
import { formatDuration } from '../core/duration.ts';
import { hrNow } from '../measure/clock.ts';
import { KubeEventWatch } from '../measure/kube-events.ts';
import type { Provider, ProviderEventWatch, SupportsEndpoints, SupportsKubernetes, SupportsScale } from '../providers/provider.ts';
import { verifyBackup, writeChecksum } from '../safety/verify-backup.ts';
import { backupStore } from './common.ts';
import { documentedRestore, kindBackupTarget, psqlInPod, runCronJobBackup, type CronJobBackup, type DocumentedRestore, type KindBackupTarget } from './kind-pg-dump.ts';
import type { TableChecksums } from './pg-dump.ts';
import type { PostgresDumpProcedure, ProcedureContext, StoredBackup } from './procedure.ts';

/** What the kind procedures need: the cluster (kubectl, kubeconfig), scaling and published endpoints. */
export type KubeProvider = Provider & SupportsKubernetes & SupportsScale & SupportsEndpoints;

/** The procedures' ownership guard: a kind procedure acts only behind it. */
export function requiredGuard(ctx: ProcedureContext): NonNullable<ProcedureContext['guard']> {
  if (!ctx.guard) throw new Error('the scenario environment has no ownership guard');
  return ctx.guard;
}

/** A Kubernetes watch of the pods and Jobs of `target`'s namespace matching `podSelector`; its errors kept for the notes. */
export async function kubeWatch(provider: KubeProvider, target: KindBackupTarget, podSelector: string): Promise<ProviderEventWatch & { errors: () => string[] }> {
  const watch = new KubeEventWatch({ kubectl: provider.kubectl, namespace: target.namespace, podSelector });
  await watch.start();
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return [];
      stopped = true;
      return watch.stop();
    },
    errors: () => [...watch.errors],
  };
}

export const CPU_NOTE = 'CPU: 2 shared cores (another helper and the lead work on the same host): durations are pessimistic.';

/**
 * Document 001's PostgreSQL backup on kind: the team's real backup CronJob (`backup.postgres.cronJob`)
 * triggered as a Job (pg_dump | gzip, uploaded to the backup bucket), the database dropped in the PostgreSQL
 * pod, and document 001 §2's restore script run against the cluster (app scaled to 0, psql in the pod to recreate, the dump piped
 * through `kubectl exec -i`, counts, scale up). Kubernetes Job/pod events go onto the timeline.
 */
export class KindPgDumpProcedure implements PostgresDumpProcedure {
  readonly title = 'PostgreSQL: CronJob backup to MinIO, destroy, documented restore (kind)';
  readonly #ctx: ProcedureContext;
  readonly #provider: KubeProvider;
  readonly #target: KindBackupTarget;
  #watch: { errors: () => string[] } | undefined;
  #backup: (StoredBackup & { sha256: string; job: CronJobBackup }) | undefined;
  #verifiedMs = 0;
  #restored: DocumentedRestore | undefined;
  #replicas = { backend: 1, worker: 1 };

  constructor(ctx: ProcedureContext, provider: KubeProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
    this.#target = kindBackupTarget(ctx.config, 'postgres', { kubectl: provider.kubectl, guard: requiredGuard(ctx) });
  }

  async watch(): Promise<ProviderEventWatch> {
    // Every pod of PostgreSQL's namespace: the database, the backup Job's pods, the app scaled around the restore.
    const watch = await kubeWatch(this.#provider, this.#target, '');
    this.#watch = watch;
    return watch;
  }

  async backup(): Promise<StoredBackup> {
    const { timeline, work } = this.#ctx;
    const startedAt = hrNow();
    timeline.add({ at: startedAt, type: 'backup.started', source: 'harness', subject: 'postgres', detail: `kubectl create job --from=cronjob/${this.#target.cronJob}` });
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#target.bucket);
    const newestObject = async (since: number): Promise<string | undefined> => {
      let newest: { name: string; at: number } | undefined;
      for await (const o of s3.listObjectsV2(this.#target.bucket, this.#target.prefix, true)) {
        const at = o.lastModified?.getTime() ?? 0;
        if (o.name && at >= since && (!newest || at > newest.at)) newest = { name: o.name, at };
      }
      return newest?.name;
    };
    const job = await runCronJobBackup(this.#target, { signal: this.#ctx.signal, newestObject });
    const bucket = job.bucket ?? this.#target.bucket;
    if (!job.objectName) throw new Error(`Job ${job.job} named no backup object in its log`);
    // The checksum is recorded when the backup completes: the restore verifies the object against it.
    const file = join(work, 'backup.sql.gz');
    await s3.fGetObject(bucket, job.objectName, file);
    const sha256 = await writeChecksum(file);
    const bytes = (await s3.statObject(bucket, job.objectName)).size;
    timeline.add({ at: job.completedAt, type: 'backup.completed', source: 'harness', subject: 'postgres', detail: `Job ${job.job}: s3://${bucket}/${job.objectName}, ${bytes} bytes, sha256 ${sha256.slice(0, 12)}…` });
    this.#backup = { startedAt, completedAt: job.completedAt, bucket, objectName: job.objectName, bytes, sha256, job };
    return this.#backup;
  }

  async destroy(): Promise<number> {
    await this.#target.guard(`drop database ${this.#ctx.config.database.name}`, 'postgres');
    const faultAt = hrNow();
    await psqlInPod(this.#target, ['-c', `DROP DATABASE ${this.#ctx.config.database.name} WITH (FORCE);`]);
    this.#ctx.timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: `DROP DATABASE ${this.#ctx.config.database.name} WITH (FORCE) (kubectl exec <PostgreSQL pod> -- psql)` });
    this.#ctx.timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });
    return faultAt;
  }

  /** Document 001 §2: the document scales only the backend; the worker holds connections too, so both go to 0. */
  async restore(verifyTables: readonly string[]): Promise<{ counts?: Record<string, number> }> {
    const backup = this.#required();
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    const file = join(this.#ctx.work, 'restore.sql.gz');
    await s3.fGetObject(backup.bucket, backup.objectName, file);
    this.#verifiedMs = (await verifyBackup(file, { sha256: backup.sha256 })).durationMs;
    this.#replicas = { backend: await this.#provider.replicas('backend'), worker: await this.#provider.replicas('worker') };
    this.#ctx.timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: `backend ${this.#replicas.backend} and worker ${this.#replicas.worker} scaled to 0` });
    // Both at once, as an operator would (`kubectl scale deployment/backend deployment/worker --replicas=0`).
    await Promise.all([this.#provider.scale('worker', 0), this.#provider.scale('backend', 0)]);
    const restored = await documentedRestore(this.#target, { file, database: this.#ctx.config.database.name, verifyTables: [...verifyTables] });
    for (const st of restored.steps) this.#ctx.timeline.add({ at: st.at, type: 'note', source: 'harness', subject: 'postgres', detail: st.step });
    this.#restored = restored;
    return { counts: restored.counts };
  }

  async resume(): Promise<void> {
    await Promise.all([this.#provider.scale('backend', this.#replicas.backend), this.#provider.scale('worker', this.#replicas.worker)]);
  }

  async cleanup(): Promise<void> {
    const job = this.#backup?.job.job;
    if (!job) return;
    await this.#target.guard(`delete job ${job}`, 'postgres');
    await this.#provider.kubectl.run(['-n', this.#target.namespace, 'delete', 'job', job, '--ignore-not-found', '--wait=false'], { allowFailure: true });
  }

  backupSummary(): string {
    const b = this.#required();
    return `backup Job ${formatDuration(b.completedAt - b.startedAt)}, ${b.bytes} bytes`;
  }

  notes(r: { seedLine: string; scheduleLine: string; faultAt: number; before: TableChecksums; verifyTables: readonly string[] }): string[] {
    const b = this.#required();
    const restored = this.#restored;
    const counts = restored?.counts ?? {};
    const countsOk = r.verifyTables.every((tb) => counts[tb] === r.before[tb]?.rows);
    const errors = this.#watch?.errors() ?? [];
    return [
      `${r.seedLine}; row counts in the PostgreSQL pod (document step 4): ${r.verifyTables.map((tb) => `${tb} ${counts[tb] ?? '?'}`).join(', ')}${countsOk ? '' : ' (MISMATCH)'}`,
      `backup: Job ${b.job.job} from cronjob/${this.#target.cronJob}, create -> Complete ${formatDuration(b.completedAt - b.startedAt)} (${b.job.containers.map((c) => `${c.container} ${formatDuration(c.ms)}`).join(', ') || 'container times unknown'}; the rest is pod scheduling and start); s3://${b.bucket}/${b.objectName} ${b.bytes} bytes gzip (job log: ${b.job.bytes ?? '?'} bytes); verified sha256 + gzip before the restore in ${formatDuration(this.#verifiedMs)}`,
      `restore: gunzip | kubectl exec -i <PostgreSQL pod> -- psql ${formatDuration(restored?.restoreMs ?? NaN)}; PostgreSQL restored ${restored?.steps.length ? formatDuration(restored.steps.at(-1)!.at - r.faultAt) : '?'} after the drop; backend ${this.#replicas.backend} and worker ${this.#replicas.worker} replicas scaled back together`,
      r.scheduleLine,
      'Document 001 §2 as written: scales only the backend (the worker keeps connections, so its DROP DATABASE without FORCE fails); pipes the dump into psql without ON_ERROR_STOP (a failed restore exits 0); counts `users`, a table the reference app does not have. Run here with the worker scaled too, ON_ERROR_STOP=1, and the app\'s own tables counted.',
      ...(errors.length ? [`Kubernetes watch errors: ${errors.join('; ')}`] : []),
      CPU_NOTE,
    ];
  }

  #required(): StoredBackup & { sha256: string; job: CronJobBackup } {
    if (!this.#backup) throw new Error('the PostgreSQL backup has not run yet');
    return this.#backup;
  }
}
