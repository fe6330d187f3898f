import type { Client as MinioClient } from 'minio';
import type pg from 'pg';
import { resolveWorkload } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';
import { hrNow } from '../measure/clock.ts';
import { conditionTrue, type KubeObject, type PodObject } from '../kube/objects.ts';
import { selectorOf } from '../providers/kind/kind-workloads.ts';
import { isolatedForIngress } from '../providers/kind/policy-isolation.ts';
import { ownLabelSelector } from '../safety/ownership.ts';
import type { ProviderEventWatch, SupportsExec, SupportsKill, SupportsPauseTarget } from '../providers/provider.ts';
import { backupStore, mcEnv } from './common.ts';
import { kubeWatch, requiredGuard, type KubeProvider } from './kind-pg-dump-procedure.ts';
import { kindBackupTarget, rolePod, type KindBackupTarget } from './kind-pg-dump.ts';
import { minioAddress, WAL_HELPER_CTL, WAL_HELPER_LABEL, WAL_HELPER_NAME, walHelperLabels, walHelperObjects } from './kind-wal.ts';
import type { ProcedureContext, WalArchiveProcedure } from './procedure.ts';
import {
  BASE_PREFIX, baseBackupId, basebackupScript, baseUploadScript, enableWalArchiving, PG_VOLUME_ROOT, pitrRestoreScript,
  recoveryLogLines, resetRecoverySettings, waitPostgresPrimary, WIPE_VOLUME_SCRIPT, type BaseBackup, type PitrResult,
} from './wal-archive.ts';

/** What WAL archiving needs on Kubernetes: the cluster, exec in PostgreSQL, a pause with its target (freeze), a kill. */
export type KubeWalProvider = KubeProvider & SupportsExec & SupportsPauseTarget & SupportsKill;

interface PgPodView {
  spec: { securityContext?: { runAsUser?: number; runAsGroup?: number }; containers: { name: string; securityContext?: { runAsUser?: number; runAsGroup?: number } }[] };
}

/**
 * Continuous WAL archiving and the point-in-time restore on kind, the same steps as on docker
 * (src/backup/docker-wal-procedure.ts, scripts from wal-archive.ts): archive_command into PostgreSQL's own
 * volume (ALTER SYSTEM; the one restart is a fast shutdown in the pod, the kubelet starts the container
 * again on the same claim); a helper pod on that claim (kind-wal.ts) mirrors the archive to MinIO every N s
 * and, once shipping stopped, uploads the base backup, wipes the disk and lays down the restore, all through
 * `kubectl exec`. PostgreSQL is stopped and started by scaling its workload. Names come from the
 * configuration (topology), the claim from the running pod; every step passes the ownership guard.
 */
export class KindWalProcedure implements WalArchiveProcedure {
  readonly #ctx: ProcedureContext;
  readonly #provider: KubeWalProvider;
  readonly #target: KindBackupTarget;
  #s3: MinioClient | undefined;
  #helper: { claim: string; owner: string } | undefined;
  #shipped: Promise<{ exitCode: number; logs: string }> | undefined;
  #replicas = { backend: 1, worker: 1 };

  constructor(ctx: ProcedureContext, provider: KubeWalProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
    this.#target = kindBackupTarget(ctx.config, 'postgres', { kubectl: provider.kubectl, guard: requiredGuard(ctx) });
  }

  get s3(): MinioClient {
    if (!this.#s3) throw new ProdlikeError('USAGE', 'the WAL procedure has not been started');
    return this.#s3;
  }

  get admin(): pg.ClientConfig {
    return { ...this.#ctx.postgres, database: 'postgres' };
  }

  watch(): Promise<ProviderEventWatch> {
    // Every pod of PostgreSQL's namespace: the database, the helper, the app scaled around the restore.
    return kubeWatch(this.#provider, this.#target, '');
  }

  async start(archiveTimeoutSeconds: number, shipIntervalS: number): Promise<{ restarted: boolean; settings: Record<string, string> }> {
    this.#s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    const p = this.#provider;
    const enabled = await enableWalArchiving({ provider: { exec: (s, argv, o) => p.exec(s, argv, o), restart: () => this.#restartPostgres() }, admin: this.admin, archiveTimeoutSeconds });
    await this.#startHelper(shipIntervalS);
    return enabled;
  }

  stopShipping(): Promise<{ exitCode: number; logs: string }> {
    if (!this.#helper) return Promise.resolve({ exitCode: 0, logs: '' });
    this.#shipped ??= (async () => {
      await this.#helperExec(`touch ${WAL_HELPER_CTL}/stop`, 30_000, true);
      await waitFor(async () => ((await this.#helperExec(`test -f ${WAL_HELPER_CTL}/stopped`, 15_000, false)).exitCode === 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 250, description: `the WAL shipper in pod ${WAL_HELPER_NAME} to make its last pass and stop` });
      const out = await this.#helperExec(`cat ${WAL_HELPER_CTL}/shipper.out`, 15_000, false);
      return { exitCode: 0, logs: out.stdout };
    })();
    return this.#shipped;
  }

  async baseBackup(): Promise<BaseBackup> {
    const { timeline } = this.#ctx;
    const bucket = this.#ctx.config.backup.bucket;
    timeline.mark('backup.started', 'harness', { subject: 'postgres', detail: 'pg_basebackup (kubectl exec), uploaded by the WAL helper pod' });
    const startedAt = hrNow();
    const id = baseBackupId(startedAt);
    const made = await this.#provider.exec('postgres', ['sh', '-c', basebackupScript(id)], { timeoutMs: 30 * 60_000 });
    if (made.exitCode !== 0) throw new ProdlikeError('COMMAND_FAILED', `pg_basebackup in the PostgreSQL pod exited ${made.exitCode}: ${made.stderr || made.stdout}`);
    await this.#helperExec(baseUploadScript(id, bucket), 30 * 60_000, true);
    const prefix = `${BASE_PREFIX}/${id}`;
    const bytes = (await this.s3.statObject(bucket, `${prefix}/base.tar.gz`)).size;
    const base = { id, prefix, bytes, startedAt, completedAt: hrNow() };
    timeline.mark('backup.completed', 'harness', { subject: 'postgres', detail: `${prefix}/base.tar.gz, ${bytes} bytes` });
    return base;
  }

  /**
   * Frozen first (the freezer cgroup, kind-pause.ts) while the shipper makes its last pass, so nothing written
   * after the fault reaches MinIO; thawed and killed at once (SIGKILL: a clean shutdown would switch and
   * archive the last segment), its workload scaled to 0 (the pod deleted with a 1 s grace: the kubelet may
   * have started the container again), then the claim wiped from the helper pod.
   */
  async loseDisk(): Promise<{ faultAt: number; shipped: { exitCode: number } }> {
    const p = this.#provider;
    const faultAt = hrNow();
    const target = await p.pauseTarget('postgres');
    await p.pauseContainers(target);
    const shipped = await this.stopShipping();
    await p.resumeContainers(target);
    await p.kill('postgres');
    await this.#stopPostgres(target.pod);
    await this.#target.guard(`wipe the PostgreSQL volume ${this.#requiredHelper().claim}`, 'postgres');
    await this.#helperExec(WIPE_VOLUME_SCRIPT, 120_000, true);
    return { faultAt, shipped };
  }

  async quiesce(): Promise<void> {
    const p = this.#provider;
    this.#replicas = { backend: await p.replicas('backend'), worker: await p.replicas('worker') };
    await Promise.all([p.scale('worker', 0), p.scale('backend', 0)]);
  }

  async restore(base: BaseBackup, options: { targetTime?: number; alreadyStopped?: boolean } = {}): Promise<PitrResult> {
    const helper = this.#requiredHelper();
    if (!options.alreadyStopped) await this.#stopPostgres();
    await this.#target.guard(`restore the PostgreSQL volume ${helper.claim}`, 'postgres');
    const script = pitrRestoreScript({ bucket: this.#ctx.config.backup.bucket, basePrefix: base.prefix, owner: helper.owner, ...(options.targetTime === undefined ? {} : { targetTime: options.targetTime }) });
    const started = hrNow();
    const job = await this.#helperExec(script, 30 * 60_000, true);
    const jobMs = hrNow() - started;
    const segments = Number(/segments: (\d+)/.exec(job.stdout)?.[1] ?? 0);
    await this.#provider.scale('postgres', 1);
    const readyAt = await waitPostgresPrimary(this.#ctx.postgres);
    await resetRecoverySettings(this.#ctx.postgres);
    const recoveryLog = recoveryLogLines(await this.#provider.logs('postgres', { tail: 200 }).catch(() => ''));
    return { segments, jobMs, readyAt, recoveryLog };
  }

  async resume(): Promise<void> {
    const p = this.#provider;
    await Promise.all([p.scale('backend', this.#replicas.backend), p.scale('worker', this.#replicas.worker)]);
  }

  /** Stops the shipper and removes the helper pod, its policies and Secret. */
  async cleanup(): Promise<void> {
    if (!this.#helper) return;
    await this.stopShipping().catch(() => undefined);
    await this.#deleteHelper().catch(() => undefined);
    this.#helper = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cleanup();
  }

  /** archive_mode needs a restart: a fast shutdown inside the pod (clients cut, no 30 s smart shutdown); the kubelet restarts the container. */
  async #restartPostgres(): Promise<void> {
    await this.#target.guard('restart PostgreSQL (pg_ctl stop -m fast)', 'postgres');
    const pod = await rolePod(this.#target);
    const restarts = async () => {
      const view = await this.#target.kubectl.json<PodObject>(['-n', this.#target.namespace, 'get', 'pod', pod.name]);
      return { count: view.status?.containerStatuses?.find((c) => c.name === pod.container)?.restartCount ?? 0, ready: Boolean(conditionTrue(view.status?.conditions, 'Ready')) };
    };
    const before = (await restarts()).count;
    // The exec ends with the container: its exit status says nothing.
    await this.#provider.kubectl.run(['-n', this.#target.namespace, 'exec', pod.name, '-c', pod.container, '--', 'sh', '-c', `pg_ctl stop -m fast -D "\${PGDATA:-${PG_VOLUME_ROOT}}"`], { allowFailure: true, timeoutMs: 120_000 });
    // Back means restarted AND Ready (its own readiness probe), not merely accepting connections: a connection made
    // before the pod is Ready again was cut the moment it became Ready (the rehearsal's "Connection terminated
    // unexpectedly", 10 s after the restart, exactly at pod.ready).
    await waitFor(async () => {
      const now = await restarts();
      return now.count > before && now.ready ? true : undefined;
    }, { timeoutMs: 180_000, intervalMs: 250, description: `PostgreSQL's pod ${pod.name} to restart and be Ready again` });
  }

  /** PostgreSQL's workload to 0 and its pod gone (deleted with a 1 s grace when `pod` is named). */
  async #stopPostgres(pod?: string): Promise<void> {
    const t = this.#target;
    const scaled = this.#provider.scale('postgres', 0);
    if (pod) {
      await t.guard(`delete pod ${pod}`, 'postgres');
      await this.#provider.kubectl.run(['-n', t.namespace, 'delete', 'pod', pod, '--grace-period=1', '--wait=false', '--ignore-not-found'], { allowFailure: true, timeoutMs: 60_000 });
    }
    await scaled;
    await waitFor(async () => ((await t.kubectl.json<{ items: unknown[] }>(['-n', t.namespace, 'get', 'pods', '-l', t.selector])).items.length === 0 ? true : undefined), { timeoutMs: 180_000, intervalMs: 250, description: 'the PostgreSQL pod to be gone' });
  }

  async #startHelper(intervalSeconds: number): Promise<void> {
    const t = this.#target;
    const pod = await rolePod(t, PG_VOLUME_ROOT);
    if (!pod.claim) throw new ProdlikeError('PROVIDER_FAILED', `the PostgreSQL pod ${pod.name} keeps no PersistentVolumeClaim at ${PG_VOLUME_ROOT}: WAL archiving on kind needs the data directory on a claim`);
    const view = await t.kubectl.json<PgPodView>(['-n', t.namespace, 'get', 'pod', pod.name]);
    const c = view.spec.containers.find((x) => x.name === pod.container);
    const uid = c?.securityContext?.runAsUser ?? view.spec.securityContext?.runAsUser ?? 999;
    const gid = c?.securityContext?.runAsGroup ?? view.spec.securityContext?.runAsGroup ?? uid;
    const minio = resolveWorkload(this.#ctx.config, 'minio');
    const minioPods = await t.kubectl.json<{ items: { spec: { containers: { image: string }[] } }[] }>(['-n', minio.namespace, 'get', 'pods', '-l', selectorOf(minio.selector)]);
    const image = minioPods.items[0]?.spec.containers[0]?.image;
    if (!image) throw new ProdlikeError('PROVIDER_FAILED', `no MinIO pod with ${selectorOf(minio.selector)} in ${minio.namespace}: its image ships the mc the WAL helper runs`);
    const spec = { namespace: t.namespace, service: minio.service, port: minio.port, selector: minio.selector };
    // MinIO's namespace as it runs (its policies and workloads): is MinIO isolated for ingress already?
    const live = await t.kubectl.json<{ items: KubeObject[] }>(['-n', minio.namespace, 'get', 'networkpolicies,statefulsets,deployments']);
    const objects = walHelperObjects({
      env: this.#ctx.config.name, namespace: t.namespace, claim: pod.claim, image, uid, gid, minio: { ...spec, namespace: minio.namespace },
      minioIsolated: isolatedForIngress(live.items, minio.namespace, minio.selector),
      mcHost: mcEnv(this.#ctx.secrets, minioAddress({ ...spec, namespace: minio.namespace })).MC_HOST_backup!, bucket: this.#ctx.config.backup.bucket, intervalSeconds,
    });
    await t.guard(`create pod ${WAL_HELPER_NAME} on ${pod.claim}`, 'postgres');
    await t.kubectl.run(['-n', t.namespace, 'delete', 'pod', WAL_HELPER_NAME, '--ignore-not-found', '--wait=true', '--grace-period=0'], { allowFailure: true, timeoutMs: 120_000 });
    await this.#provider.kubectl.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    this.#helper = { claim: pod.claim, owner: `${uid}:${gid}` };
    await t.kubectl.run(['-n', t.namespace, 'wait', '--for=condition=Ready', `pod/${WAL_HELPER_NAME}`, '--timeout=180s'], { timeoutMs: 200_000 });
  }

  async #deleteHelper(): Promise<void> {
    const t = this.#target;
    const minio = resolveWorkload(this.#ctx.config, 'minio');
    await t.guard(`delete pod ${WAL_HELPER_NAME}, its policies and Secret`, 'postgres');
    const mine = `${ownLabelSelector(this.#ctx.config.name)},${WAL_HELPER_LABEL}=${walHelperLabels(this.#ctx.config.name)[WAL_HELPER_LABEL]}`;
    await t.kubectl.run(['-n', t.namespace, 'delete', 'pod,secret,networkpolicy', '-l', mine, '--ignore-not-found', '--wait=false', '--grace-period=0'], { allowFailure: true, timeoutMs: 60_000 });
    if (minio.namespace !== t.namespace) await t.kubectl.run(['-n', minio.namespace, 'delete', 'networkpolicy', '-l', mine, '--ignore-not-found', '--wait=false'], { allowFailure: true, timeoutMs: 60_000 });
  }

  async #helperExec(script: string, timeoutMs: number, check: boolean): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const t = this.#target;
    const r = await t.kubectl.run(['-n', t.namespace, 'exec', WAL_HELPER_NAME, '-c', 'wal', '--', 'sh', '-c', script], { allowFailure: true, timeoutMs });
    if (check && r.exitCode !== 0) throw new ProdlikeError('COMMAND_FAILED', `in pod ${WAL_HELPER_NAME}: exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}\n(script: ${script.split('\n')[0]}…)`);
    return r;
  }

  #requiredHelper(): { claim: string; owner: string } {
    if (!this.#helper) throw new ProdlikeError('USAGE', 'the WAL procedure has not been started');
    return this.#helper;
  }
}
