import { cronInterval } from '../../src/check/cron.ts';
import { loadManifests } from '../../src/check/load-manifests.ts';
import { resolveFrom } from '../../src/config/load-config.ts';
import { resolveWorkload } from '../../src/config/schema.ts';
import { canKubernetes } from '../../src/providers/provider.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export interface BackupSchedule {
  schedule: string;
  /** The longest interval between two runs: the worst-case RPO of the schedule. */
  worstMs: number;
  from: string;
  suspended: boolean;
}

/**
 * The backup schedule as deployed, read, never assumed: on kind the CronJob in the cluster (in PostgreSQL's
 * namespace of the configuration); the docker provider runs no CronJob, so there it is the CronJob of the
 * manifests the kind provider applies (`manifests` in prodlike.yaml, rendered with kustomize).
 */
export async function deployedBackupSchedule(env: Pick<ScenarioEnvironment, 'provider' | 'config' | 'loaded'>): Promise<BackupSchedule> {
  let spec: { schedule?: string; timeZone?: string; suspend?: boolean } | undefined;
  let from: string;
  // The backup CronJob of the configuration (document 001's postgres-backup by default); its schedule is read where it is deployed.
  const BACKUP_CRONJOB = env.config.backup.postgres.cronJob;
  if (canKubernetes(env.provider)) {
    const namespace = resolveWorkload(env.config, 'postgres').namespace;
    spec = (await env.provider.kubectl.json<{ spec: { schedule: string; timeZone?: string; suspend?: boolean } }>(['-n', namespace, 'get', 'cronjob', BACKUP_CRONJOB])).spec;
    from = `cronjob/${BACKUP_CRONJOB} as deployed in the cluster`;
  } else {
    const loaded = await loadManifests(resolveFrom(env.loaded, env.config.manifests), { relativeTo: env.loaded.baseDir });
    spec = loaded.manifests.workloads.find((w) => w.kind === 'CronJob' && w.name === BACKUP_CRONJOB);
    from = `CronJob ${BACKUP_CRONJOB} of ${loaded.source} (${loaded.renderedWith}; the docker provider runs no CronJob: this is the schedule the kind deployment applies)`;
  }
  if (!spec?.schedule) throw new Error(`no schedule for CronJob ${BACKUP_CRONJOB} (${from})`);
  return { schedule: spec.schedule, worstMs: cronInterval(spec.schedule, spec.timeZone).maxIntervalMs, from, suspended: spec.suspend === true };
}
