import { canEndpoint, canExec, canKill, canKubernetes, canLifecycle, canPauseTarget, canScale, type Provider } from '../providers/provider.ts';
import { canBackup } from './common.ts';
import { DockerPgDumpProcedure, type DockerDumpProvider } from './docker-pg-dump-procedure.ts';
import { DockerRedisProcedure } from './docker-redis-procedure.ts';
import { DockerWalProcedure, type WalProvider } from './docker-wal-procedure.ts';
import { FilesMirror } from './files-mirror-procedure.ts';
import { KindPgDumpProcedure, type KubeProvider } from './kind-pg-dump-procedure.ts';
import { KindRedisProcedure } from './kind-redis-procedure.ts';
import { KindWalProcedure, type KubeWalProvider } from './kind-wal-procedure.ts';
import type { FilesMirrorProcedure, PostgresDumpProcedure, ProcedureContext, RedisSnapshotProcedure, WalArchiveProcedure } from './procedure.ts';

/**
 * The procedure of each data store for the environment's provider, chosen by what the provider can do
 * (capability guards, never its concrete class): a Kubernetes cluster that scales and publishes endpoints
 * gets the kind procedures (Jobs, kubectl exec, PVCs); a provider with job containers, exec, lifecycle,
 * endpoints and scaling (canBackup) gets the docker ones. `undefined` when the provider has neither; the
 * scenario then skips with `reason` (scenarios/support/backup-scenario.ts `requires`).
 */
export interface ProcedureChoice<P> {
  procedure: P | undefined;
  /** What the procedure needs, said when it is missing. */
  reason: string;
}

const kubernetes = (p: Provider): p is KubeProvider => canKubernetes(p) && canScale(p) && canEndpoint(p);
const containers = (p: Provider): p is DockerDumpProvider => canBackup(p) && canScale(p);
const wal = (p: Provider): p is WalProvider => containers(p) && canLifecycle(p);
const kubeWal = (p: Provider): p is KubeWalProvider => kubernetes(p) && canExec(p) && canPauseTarget(p) && canKill(p);

function choose<P>(ctx: ProcedureContext, what: string, kind: (p: KubeProvider) => P, docker: (p: DockerDumpProvider) => P): ProcedureChoice<P> {
  const p = ctx.provider;
  const procedure = kubernetes(p) ? kind(p) : containers(p) ? docker(p) : undefined;
  return { procedure, reason: `${what} needs a Kubernetes cluster that scales and publishes endpoints, or job containers, exec, lifecycle, endpoints and scaling (the docker provider); this provider has neither` };
}

export const backupProcedures = {
  postgresDump: (ctx: ProcedureContext): ProcedureChoice<PostgresDumpProcedure> =>
    choose<PostgresDumpProcedure>(ctx, 'the PostgreSQL dump backup', (p) => new KindPgDumpProcedure(ctx, p), (p) => new DockerPgDumpProcedure(ctx, p)),
  redisSnapshot: (ctx: ProcedureContext): ProcedureChoice<RedisSnapshotProcedure> =>
    choose<RedisSnapshotProcedure>(ctx, 'the Redis snapshot backup', (p) => new KindRedisProcedure(ctx, p), (p) => new DockerRedisProcedure(ctx, p)),
  filesMirror: (ctx: ProcedureContext): ProcedureChoice<FilesMirrorProcedure> => ({
    procedure: canEndpoint(ctx.provider) ? new FilesMirror(ctx, ctx.provider) : undefined,
    reason: 'the files backup needs MinIO\'s published endpoint; this provider publishes none',
  }),
  /**
   * archive_command, the shipper and the restore act on PostgreSQL's data volume: through job containers on
   * docker, through a helper pod on its claim (kubectl exec) on a Kubernetes cluster that can also freeze
   * (pause with its target) and kill PostgreSQL.
   */
  walArchive: (ctx: ProcedureContext): ProcedureChoice<WalArchiveProcedure> => {
    const p = ctx.provider;
    const procedure = canKubernetes(p) ? (kubeWal(p) ? new KindWalProcedure(ctx, p) : undefined) : wal(p) ? new DockerWalProcedure(ctx, p) : undefined;
    return { procedure, reason: 'WAL archiving and point-in-time restore need job containers, exec, lifecycle, endpoints and scaling (the docker provider), or a Kubernetes cluster that scales, publishes endpoints, execs, kills and freezes a pod with its target (kind); this provider has neither' };
  },
};
