import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { Timeline } from '../measure/timeline.ts';
import type { Provider } from '../providers/provider.ts';
import { DockerPgDumpProcedure } from './docker-pg-dump-procedure.ts';
import { DockerRedisProcedure } from './docker-redis-procedure.ts';
import { DockerWalProcedure } from './docker-wal-procedure.ts';
import { FilesMirror } from './files-mirror-procedure.ts';
import { KindPgDumpProcedure } from './kind-pg-dump-procedure.ts';
import { KindRedisProcedure } from './kind-redis-procedure.ts';
import { KindWalProcedure } from './kind-wal-procedure.ts';
import type { ProcedureContext } from './procedure.ts';
import { backupProcedures } from './select-procedure.ts';

const fn = async () => undefined as never;
const base = { name: 'docker', logs: fn, endpoint: fn } as unknown as Provider;
const containers = { ...base, runJob: fn, jobAddress: fn, exec: fn, stop: fn, start: fn, restart: fn, pause: fn, unpause: fn, scale: fn, replicas: fn } as unknown as Provider;
const kubectl = { bin: 'kubectl', kubeconfig: '/k', context: 'kind-x', run: fn, json: fn, kubeConfig: fn };
const cluster = { ...base, name: 'kind', kubectl, kubeConfig: fn, loadImage: fn, scale: fn, replicas: fn, cluster: 'x', kubeconfig: '/k' } as unknown as Provider;

const ctx = (provider: Provider): ProcedureContext => ({
  provider, config: configSchema.parse({}), secrets: {} as never, timeline: new Timeline(), work: '/tmp/w', postgres: {}, signal: new AbortController().signal,
  guard: async () => undefined, images: fn,
});

describe('backupProcedures: chosen by capability', () => {
  it('a provider with job containers, exec, lifecycle and scaling gets the docker procedures', () => {
    expect(backupProcedures.postgresDump(ctx(containers)).procedure).toBeInstanceOf(DockerPgDumpProcedure);
    expect(backupProcedures.redisSnapshot(ctx(containers)).procedure).toBeInstanceOf(DockerRedisProcedure);
    expect(backupProcedures.walArchive(ctx(containers)).procedure).toBeInstanceOf(DockerWalProcedure);
    expect(backupProcedures.filesMirror(ctx(containers)).procedure).toBeInstanceOf(FilesMirror);
  });

  it('a Kubernetes cluster that scales gets the kind procedures; WAL archiving only when it also execs, kills and freezes with a target', () => {
    expect(backupProcedures.postgresDump(ctx(cluster)).procedure).toBeInstanceOf(KindPgDumpProcedure);
    expect(backupProcedures.redisSnapshot(ctx(cluster)).procedure).toBeInstanceOf(KindRedisProcedure);
    expect(backupProcedures.filesMirror(ctx(cluster)).procedure).toBeInstanceOf(FilesMirror);
    const wal = backupProcedures.walArchive(ctx(cluster));
    expect(wal.procedure).toBeUndefined();
    expect(wal.reason).toMatch(/freezes a pod with its target/);
    const kind = { ...cluster, exec: fn, kill: fn, pauseTarget: fn, pauseContainers: fn, resumeContainers: fn } as unknown as Provider;
    expect(backupProcedures.walArchive(ctx(kind)).procedure).toBeInstanceOf(KindWalProcedure);
    // A cluster is never handed the docker procedure, whatever else it has.
    const both = { ...containers, ...cluster } as unknown as Provider;
    expect(backupProcedures.walArchive(ctx(both)).procedure).toBeUndefined();
  });

  it('a provider with neither: no procedure, a reason that says what is missing', () => {
    const choice = backupProcedures.postgresDump(ctx(base));
    expect(choice.procedure).toBeUndefined();
    expect(choice.reason).toMatch(/Kubernetes cluster that scales .* or job containers/);
    const bare = { name: 'bare', logs: fn } as unknown as Provider;
    expect(backupProcedures.filesMirror(ctx(bare)).procedure).toBeUndefined();
  });

  it('a kind procedure refuses to exist without the ownership guard', () => {
    expect(() => backupProcedures.postgresDump({ ...ctx(cluster), guard: undefined })).toThrow(/ownership guard/);
  });
});
