import type { KubeObject } from '../../kube/objects.ts';

/**
 * Whether the rendered NetworkPolicies isolate a role's pods for ingress: some policy of the pods' namespace selects
 * them and has Ingress among its policyTypes (absent policyTypes means Ingress, plus Egress when it has egress rules).
 * prodlike adds an allow-policy for its own traffic (host access, the add-ons) only to pods already isolated: a policy
 * selecting pods nothing isolates would isolate them and cut every other client off.
 *
 * The pods' labels are those of the rendered workloads whose pod template carries `selector` (a role's selector is a
 * subset of its pods' labels); when no rendered workload does, the selector itself.
 */
export function isolatedForIngress(rendered: readonly KubeObject[], namespace: string, selector: Readonly<Record<string, string>>): boolean {
  const templates = rendered
    .filter((o) => (o.metadata.namespace ?? 'default') === namespace && ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind))
    .map((o) => (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels ?? {})
    .filter((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
  const pods = templates.length ? templates : [{ ...selector }];
  return rendered.some((o) => {
    if (o.kind !== 'NetworkPolicy' || (o.metadata.namespace ?? 'default') !== namespace) return false;
    const spec = (o.spec ?? {}) as PolicySpec;
    const types = spec.policyTypes ?? ['Ingress'];
    return types.includes('Ingress') && pods.some((labels) => selectorMatches(spec.podSelector ?? {}, labels));
  });
}

interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
interface PolicySpec { podSelector?: LabelSelector; policyTypes?: string[] }

/** metav1.LabelSelector semantics: every matchLabels pair and every expression (In, NotIn, Exists, DoesNotExist). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (!Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(value ?? '');
      case 'NotIn': return !has || !(e.values ?? []).includes(value ?? '');
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}
