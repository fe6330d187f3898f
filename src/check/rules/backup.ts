/** Backups (CronJobs, Velero Schedules) versus the documented RPO of stateful components. */
import type { Target } from '../../config/targets-schema.ts';
import { isDataStore, obj, workloadsForComponent } from '../components.ts';
import { cronInterval, CronScheduleError } from '../cron.ts';
import { fromTarget, ms, type CheckContext, type Finding, type Rule } from '../finding.ts';
import { persistentVolumesOf, type ObjectRef, type Workload } from '../model.ts';

/** What a backup of each kind of data runs. */
const DATABASE_TOOLS = /\b(pg_dump|pg_dumpall|pg_basebackup|pgbackrest|wal-g|barman|mysqldump|mariadb-dump|mongodump)\b/;
const FILE_TOOLS = /\b(mc\s+mirror|rclone|restic|rsync|velero\s+backup|kopia|borg)\b/;

type DataKind = 'database' | 'files';

interface Backup {
  ref: ObjectRef;
  schedule: string;
  timeZone?: string;
  suspended: boolean;
}

function dataKindOf(ctx: CheckContext, w: Workload): DataKind | undefined {
  if (!isDataStore(ctx, w)) return undefined;
  const text = w.template.containers.map((c) => `${c.image ?? ''} ${c.command.join(' ')} ${c.args.join(' ')}`).join(' ');
  if (/\b(redis|valkey|keydb)\b/.test(text)) return undefined; // persistence is Redis' own (rule redis-persistence-vs-rpo)
  if (/\b(postgres|postgresql|spilo|patroni|mysql|mariadb|mongo)\b/.test(text)) return 'database'; // spilo, patroni: PostgreSQL HA images
  if (/\b(minio|seaweedfs|garage|radosgw)\b/.test(text)) return 'files';
  return persistentVolumesOf(w).length > 0 ? 'files' : undefined;
}

function backupsOf(ctx: CheckContext, w: Workload, kind: DataKind): Backup[] {
  const out: Backup[] = [];
  const tools = kind === 'database' ? DATABASE_TOOLS : FILE_TOOLS;
  for (const cj of ctx.manifests.workloads.filter((x) => x.kind === 'CronJob')) {
    const text = [...cj.template.containers, ...cj.template.initContainers].map((c) => `${c.command.join(' ')} ${c.args.join(' ')}`).join('\n');
    const named = cj.name.includes(w.name) && /backup|dump|snapshot/.test(cj.name);
    if (tools.test(text) || named) {
      out.push({ ref: cj, schedule: cj.schedule ?? '', ...(cj.timeZone ? { timeZone: cj.timeZone } : {}), suspended: cj.suspend === true });
    }
  }
  for (const s of ctx.manifests.backupSchedules) {
    if (s.includedNamespaces.length === 0 || s.includedNamespaces.includes('*') || s.includedNamespaces.includes(w.namespace)) {
      out.push({ ref: s, schedule: s.schedule, suspended: false });
    }
  }
  return out;
}

export const backupRule: Rule = {
  id: 'backup-interval-exceeds-rpo',
  title: 'Backup schedule longer than the documented RPO (or no backup)',
  severity: 'error',
  description: 'For a stateful component with an RPO target: the longest interval between two runs of its backup CronJob (cron '
    + 'expression, time zone) must not exceed the RPO; a component with an RPO and no backup at all cannot meet it. '
    + 'An interval equal to the RPO is reported as info (no margin for the backup\'s own duration or a failed run).',
  run(ctx) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const t of ctx.selected.profile.targets) {
      // RPO 0 is document 001's "0 (stateless)": nothing to back up.
      if (t.metric !== 'rpo' || !t.maxValue || t.kind === 'report') continue;
      for (const w of workloadsForComponent(ctx, t.component)) {
        const kind = dataKindOf(ctx, w);
        if (!kind) continue;
        const key = `${t.id}|${w.namespace}/${w.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(...checkBackups(ctx, t, w, kind));
      }
    }
    return findings;
  },
};

function checkBackups(ctx: CheckContext, t: Target, w: Workload, kind: DataKind): Finding[] {
  const rpo = t.maxValue!;
  const backups = backupsOf(ctx, w, kind);
  const active = backups.filter((b) => !b.suspended);
  const base = { ruleId: backupRule.id, targets: [fromTarget(ctx, t)] };
  if (active.length === 0) {
    const suspended = backups.filter((b) => b.suspended);
    // Files: document 001 takes the daily snapshot outside the cluster (platform snapshots, Velero), which
    // the manifests cannot show, hence a warning; a database dump is an in-cluster CronJob in the document.
    const severity = kind === 'database' ? 'error' : 'warning';
    return [{
      ...base,
      severity,
      message: suspended.length > 0
        ? `${w.kind} ${w.namespace}/${w.name} has an RPO of ${ms(rpo)} (${t.id}) but its only backup ${suspended.map((b) => `${b.ref.kind} ${b.ref.name}`).join(', ')} is suspended: nothing bounds the data loss.`
        : `${w.kind} ${w.namespace}/${w.name} has an RPO of ${ms(rpo)} (${t.id}) but no backup in the manifests (no CronJob running ${kind === 'database' ? 'pg_dump or similar' : 'mc mirror, rclone, restic or similar'}, no Velero Schedule for ${w.namespace}): losing its volume loses everything since it was created.`
          + (kind === 'files' ? ' (If snapshots are taken outside the cluster, as the document\'s platform snapshots or Velero would be, this check cannot see them.)' : ''),
      hint: `Add a backup CronJob with a schedule of at most ${ms(rpo)} (e.g. "${suggestSchedule(rpo)}")${kind === 'files' ? ', or a Velero Schedule for the namespace' : ''}, writing outside the volume it protects.`,
      objects: [obj(ctx, w), ...suspended.map((b) => obj(ctx, b.ref))],
      details: { rpoMs: rpo, backups: suspended.map((b) => ({ name: b.ref.name, schedule: b.schedule, suspended: true })) },
    }];
  }
  const evaluated: Array<{ b: Backup; intervalMs: number } | { b: Backup; error: string }> = active.map((b) => {
    try {
      return { b, intervalMs: cronInterval(b.schedule, b.timeZone).maxIntervalMs };
    } catch (error) {
      return { b, error: error instanceof CronScheduleError ? error.message : String(error) };
    }
  });
  const valid = evaluated.filter((e): e is { b: Backup; intervalMs: number } => 'intervalMs' in e);
  const invalid = evaluated.filter((e): e is { b: Backup; error: string } => 'error' in e);
  const out: Finding[] = invalid.map((e) => ({
    ...base,
    severity: 'error',
    message: `Backup ${e.b.ref.kind} ${e.b.ref.namespace ?? ''}/${e.b.ref.name} of ${w.name} has an unusable schedule: ${e.error}. The ${ms(rpo)} RPO (${t.id}) is not covered by it.`,
    hint: 'Write a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 2 * * *".',
    objects: [obj(ctx, e.b.ref), obj(ctx, w)],
    details: { schedule: e.b.schedule, rpoMs: rpo },
  }));
  if (valid.length === 0) return out;
  const best = valid.sort((a, b) => a.intervalMs - b.intervalMs)[0]!;
  const where = `${best.b.ref.kind} ${best.b.ref.namespace ?? ''}/${best.b.ref.name} ("${best.b.schedule}"${best.b.timeZone ? `, ${best.b.timeZone}` : ''})`;
  const details = { rpoMs: rpo, intervalMs: best.intervalMs, schedule: best.b.schedule, timeZone: best.b.timeZone ?? null, backup: best.b.ref.name };
  if (best.intervalMs > rpo) {
    out.push({
      ...base,
      severity: 'error',
      message: `${w.kind} ${w.namespace}/${w.name}: its backup ${where} runs at most every ${ms(best.intervalMs)}, longer than the ${ms(rpo)} RPO (${t.id}): a failure just before a run loses up to ${ms(best.intervalMs)} of data plus the backup's own duration.`,
      hint: `Run the backup at least every ${ms(rpo)} (e.g. "${suggestSchedule(rpo)}"), or add continuous protection (WAL archiving with archive_timeout, a streaming replica) for an RPO shorter than a dump can give.`,
      objects: [obj(ctx, best.b.ref), obj(ctx, w)],
      details,
    });
  } else if (best.intervalMs === rpo) {
    out.push({
      ...base,
      severity: 'info',
      message: `${w.kind} ${w.namespace}/${w.name}: its backup ${where} runs every ${ms(best.intervalMs)}, exactly the ${ms(rpo)} RPO (${t.id}): no margin. A failure just before a run completes loses ${ms(rpo)} plus the dump's duration, and one failed run doubles the loss.`,
      hint: `Run it more often than the RPO (e.g. "${suggestSchedule(rpo / 2)}"), and alert when a run fails (the backup-restore suite measures the real RPO).`,
      objects: [obj(ctx, best.b.ref), obj(ctx, w)],
      details,
    });
  }
  return out;
}

function suggestSchedule(rpoMs: number): string {
  const minutes = Math.max(1, Math.floor(rpoMs / 60_000));
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `0 */${hours} * * *`;
  return '0 2 * * *';
}
