/** Targets of data stores that applied to no workload: a warning, never a silent pass. */
import { workloadsForTarget } from '../components.ts';
import { isDataStoreTarget } from '../coverage.ts';
import { fromTarget, type Rule } from '../finding.ts';

export const dataStoreTargetUnmatchedRule: Rule = {
  id: 'data-store-target-unmatched',
  title: 'Data-store targets of the profile applied to no workload',
  severity: 'warning',
  description: 'The profile documents RTO/RPO targets for a database, cache or object store, but no workload of the manifests '
    + 'was configured (check.components, topology) or recognised (image, data directory, port, labels) as that store: those '
    + 'targets were not evaluated. Map the workloads, or check against the profile of the application\'s own document.',
  run(ctx) {
    const missed = ctx.selected.profile.targets.filter((t) => t.kind !== 'report' && isDataStoreTarget(t) && workloadsForTarget(ctx, t).workloads.length === 0);
    if (missed.length === 0) return [];
    const components = [...new Set(missed.map((t) => t.component))];
    return [{
      ruleId: this.id,
      severity: 'warning',
      message: `Not evaluated: ${missed.map((t) => `${t.id} (${t.metric} of ${t.component})`).join(', ')}. No workload in the manifests was configured or recognised as ${components.join(', ')}, so no backup, persistence or probe rule applied to ${components.length === 1 ? 'it' : 'them'}.`,
      hint: `If the application has such a store, map it in prodlike.yaml: check: { components: { ${components[0]}: [statefulset/<name>] } }; if it uses a managed service outside the cluster, these targets are checked there, not here.`,
      objects: [],
      targets: missed.map((t) => fromTarget(ctx, t)),
      details: { targets: missed.map((t) => t.id), components },
    }];
  },
};
