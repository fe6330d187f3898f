/** Redis persistence (AOF, appendfsync, RDB save rules, data directory) versus the documented RPO. */
import { obj, workloadsForComponent } from '../components.ts';
import { fromTarget, ms, type CheckContext, type Finding, type Rule } from '../finding.ts';
import type { Container, Workload } from '../model.ts';

export interface RedisPersistence {
  appendonly: boolean;
  appendfsync: string;
  /** [seconds, changes] pairs; empty = RDB snapshots off. */
  save: Array<[number, number]>;
  dir: string;
  configFile?: string;
  /** Where each setting came from. */
  from: Record<'appendonly' | 'appendfsync' | 'save' | 'dir', 'default' | 'args' | 'config file'>;
}

/** Worst-case loss window in ms for a persistence setup (Infinity: unbounded). */
export function redisLossBoundMs(p: RedisPersistence): { ms: number; why: string } {
  if (p.appendonly) {
    if (p.appendfsync === 'always') return { ms: 0, why: 'AOF with appendfsync always (fsync on every write)' };
    if (p.appendfsync === 'no') return { ms: 30_000, why: 'AOF with appendfsync no (the kernel flushes about every 30 s)' };
    return { ms: 2_000, why: 'AOF with appendfsync everysec (up to about 2 s of writes)' };
  }
  const single = p.save.filter(([, changes]) => changes <= 1).map(([s]) => s);
  if (p.save.length === 0) return { ms: Infinity, why: 'no AOF and no RDB snapshots (save "")' };
  if (single.length === 0) return { ms: Infinity, why: `no AOF; RDB save rules ${formatSave(p.save)} never snapshot a few writes` };
  const s = Math.min(...single);
  return { ms: s * 1000, why: `no AOF; RDB snapshots (save ${formatSave(p.save)}) after at most ${s} s for a single write` };
}

function formatSave(save: Array<[number, number]>): string {
  return save.map(([s, c]) => `${s} ${c}`).join(' ');
}

function tokens(c: Container): string[] {
  const all = [...c.command, ...c.args];
  // `sh -c "redis-server --appendonly yes"`: split the script.
  const flat = all.flatMap((t) => (t.includes(' ') && /redis-server/.test(t) ? t.split(/\s+/).filter(Boolean) : [t]));
  const i = flat.findIndex((t) => /(^|\/)redis-server$/.test(t));
  return i >= 0 ? flat.slice(i + 1) : flat.filter((t) => t.startsWith('--') || /\.conf$/.test(t));
}

export function isRedisContainer(c: Container): boolean {
  return /(^|\/)(redis|valkey)(:|@|$)/.test(c.image ?? '') || [...c.command, ...c.args].some((t) => /redis-server/.test(t));
}

export function redisPersistence(ctx: CheckContext, w: Workload, c: Container): RedisPersistence {
  const p: RedisPersistence = {
    appendonly: false,
    appendfsync: 'everysec',
    save: [[3600, 1], [300, 100], [60, 10000]],
    dir: '/data',
    from: { appendonly: 'default', appendfsync: 'default', save: 'default', dir: 'default' },
  };
  const args = tokens(c);
  const apply = (name: string, values: string[], from: 'args' | 'config file') => {
    const v = values.join(' ').trim().replace(/^"|"$/g, '');
    if (name === 'appendonly') [p.appendonly, p.from.appendonly] = [v === 'yes', from];
    else if (name === 'appendfsync') [p.appendfsync, p.from.appendfsync] = [v, from];
    else if (name === 'dir') [p.dir, p.from.dir] = [v, from];
    else if (name === 'save') {
      if (p.from.save !== from) p.save = [];
      p.from.save = from;
      const nums = values.map((x) => x.replace(/"/g, '')).filter(Boolean).map(Number);
      for (let i = 0; i + 1 < nums.length; i += 2) p.save.push([nums[i]!, nums[i + 1]!]);
    }
  };
  // A config file first (the first argument that is not an option), then the options override it.
  const file = args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  if (file) {
    p.configFile = file;
    const text = configFileText(ctx, w, c, file);
    if (text) {
      for (const line of text.split('\n')) {
        const m = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
        if (m && !line.trim().startsWith('#')) apply(m[1]!, m[2]!.split(/\s+/), 'config file');
      }
    }
  }
  for (let i = file ? 1 : 0; i < args.length; i++) {
    const t = args[i]!;
    if (!t.startsWith('--')) continue;
    const values: string[] = [];
    for (let j = i + 1; j < args.length && !args[j]!.startsWith('--'); j++) values.push(args[j]!);
    apply(t.slice(2), values, 'args');
  }
  return p;
}

function configFileText(ctx: CheckContext, w: Workload, c: Container, path: string): string | undefined {
  for (const m of c.volumeMounts) {
    if (!path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`)) continue;
    const vol = w.template.volumes.find((v) => v.name === m.name);
    const cm = vol?.configMap ? ctx.manifests.configMaps.find((x) => x.namespace === w.namespace && x.name === vol.configMap) : undefined;
    const key = path.slice(m.mountPath.replace(/\/$/, '').length + 1);
    if (cm?.data[key] !== undefined) return cm.data[key];
  }
  return undefined;
}

/** Is `dir` on a persistent volume (PVC or volumeClaimTemplate) of the container? */
function persistentDir(w: Workload, c: Container, dir: string): { persistent: boolean; volume?: string } {
  const mount = c.volumeMounts
    .filter((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return { persistent: false };
  const vol = w.template.volumes.find((v) => v.name === mount.name);
  const persistent = vol?.persistentVolumeClaim !== undefined || w.volumeClaimTemplates.includes(mount.name);
  return { persistent, volume: mount.name };
}

export const redisRule: Rule = {
  id: 'redis-persistence-vs-rpo',
  title: 'Redis persistence cannot meet the documented RPO',
  severity: 'error',
  description: 'From redis-server\'s arguments (and a mounted redis.conf): without AOF the loss window is the RDB save interval '
    + '(Redis 7 default: 3600 s for a single write); appendfsync everysec loses up to ~2 s, no ~30 s, always ~0; a data '
    + 'directory that is not on a persistent volume loses everything when the pod is replaced.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const t of ctx.selected.profile.targets) {
      if (t.metric !== 'rpo' || t.maxValue === undefined || t.kind === 'report') continue;
      for (const w of workloadsForComponent(ctx, t.component)) {
        for (const c of w.template.containers.filter(isRedisContainer)) {
          const p = redisPersistence(ctx, w, c);
          const bound = redisLossBoundMs(p);
          const base = { ruleId: this.id, objects: [obj(ctx, w)], targets: [fromTarget(ctx, t)] };
          const details = { container: c.name, appendonly: p.appendonly, appendfsync: p.appendfsync, save: p.save, dir: p.dir, lossBoundMs: Number.isFinite(bound.ms) ? bound.ms : null, rpoMs: t.maxValue };
          if (bound.ms > t.maxValue) {
            findings.push({
              ...base,
              severity: 'error',
              message: `${w.kind} ${w.namespace}/${w.name} (container ${c.name}): ${bound.why}, so a crash can lose ${Number.isFinite(bound.ms) ? `up to ${ms(bound.ms)}` : 'everything since the last restart'} of writes, more than the ${ms(t.maxValue)} RPO (${t.id}).`,
              hint: t.maxValue >= 2_000
                ? 'Enable the append-only file: `--appendonly yes --appendfsync everysec` (document 001 §5 Redis Cache), on a persistent volume.'
                : 'An RPO under 2 s needs `--appendfsync always` (slower writes) or a synchronous replica (WAIT).',
              details,
            });
            continue;
          }
          if (p.appendonly || p.save.length > 0) {
            const d = persistentDir(w, c, p.dir);
            if (!d.persistent) {
              findings.push({
                ...base,
                severity: 'error',
                message: `${w.kind} ${w.namespace}/${w.name} (container ${c.name}) writes its ${p.appendonly ? 'AOF' : 'RDB'} to ${p.dir}, which is ${d.volume ? `volume ${d.volume} (not a PersistentVolumeClaim)` : 'not a mounted volume'}: when the pod is replaced (node loss, eviction, rollout) the data is gone, whatever the ${ms(t.maxValue)} RPO (${t.id}) says.`,
                hint: `Mount a PersistentVolumeClaim at ${p.dir} (document 001 §5: redis-pvc at /data).`,
                details: { ...details, volume: d.volume ?? null },
              });
            }
          }
        }
      }
    }
    return findings;
  },
};
