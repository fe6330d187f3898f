import { formatDuration } from '../core/duration.ts';
import { table } from '../core/text-table.ts';
import type { RolledReplica } from '../providers/docker/docker-provider.ts';
import type { BuiltImage } from './image-build.ts';
import { describeRedirect } from './offline-bases.ts';
import type { KindRolledWorkload } from './kind-roll-out.ts';

export interface BuildRollout {
  built: BuiltImage[];
  /** docker: the re-created replicas; kind: the restarted workloads. */
  rolled: (RolledReplica | KindRolledWorkload)[];
  /** From the start of the builds until every rolled replica was ready. */
  totalMs: number;
}

const isDocker = (r: RolledReplica | KindRolledWorkload): r is RolledReplica => 'recreateMs' in r;

/** `up --build`'s phases with their times: build per image, load/re-create and ready per replica (docker) or workload (kind). */
export function phaseTable(result: BuildRollout): string {
  const rows: string[][] = [];
  for (const b of result.built) {
    const how = b.status === 'cached' ? 'up to date, not rebuilt' : `built${b.builder ? ` (${b.builder} builder)` : ''}`;
    rows.push(['build', b.image, how, formatDuration(b.durationMs)]);
    for (const r of b.redirects) rows.push(['', '', describeRedirect(r), '']);
  }
  for (const r of result.rolled) {
    if (isDocker(r)) {
      rows.push(['recreate', r.name, `on ${r.imageId.slice(7, 19)}`, formatDuration(r.recreateMs)]);
      rows.push(['ready', r.name, 'documented probe answers', formatDuration(r.readyMs)]);
    } else {
      if (r.loadMs > 0) rows.push(['load', r.image, 'into the worker nodes (new layers via the dev registry, or the whole image)', formatDuration(r.loadMs)]);
      rows.push(['set image', `${r.namespace}/${r.workload}`, r.image, formatDuration(r.restartMs)]);
      rows.push(['ready', `${r.namespace}/${r.workload}`, 'kubectl rollout status', formatDuration(r.readyMs)]);
    }
  }
  if (!result.rolled.length) rows.push(['recreate', '-', 'every replica already runs the current image', '']);
  rows.push(['total', '', 'build → every replica ready', formatDuration(result.totalMs)]);
  return table(['phase', 'what', 'detail', 'time'], rows);
}
