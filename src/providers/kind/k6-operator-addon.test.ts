import { describe, expect, it } from 'vitest';
import { K6_OPERATOR_NAMESPACE, k6OperatorObjects, labelCrds } from './k6-operator-addon.ts';

/** A JSON object read by path in assertions. */
interface Tree { [key: string]: Tree }

describe('k6 operator add-on objects', () => {
  const objects = k6OperatorObjects({ envName: 'k6op', image: 'prodlike.local/k6-operator:1.5.0', watchNamespace: 'prodlike-load' });
  const byKind = (kind: string) => objects.find((o) => o.kind === kind) as unknown as Tree;

  it('every object carries the environment\'s labels', () => {
    for (const o of objects) expect(o.metadata.labels).toMatchObject({ 'io.prodlike.managed': 'true', 'io.prodlike.env': 'k6op', 'io.prodlike.role': 'k6-operator' });
  });

  it('watches one namespace with a Role there, not a ClusterRole', () => {
    expect(objects.map((o) => o.kind)).not.toContain('ClusterRole');
    expect(byKind('Role').metadata!.namespace).toBe('prodlike-load');
    expect(byKind('RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'k6-operator', namespace: K6_OPERATOR_NAMESPACE }]);
    const container = byKind('Deployment').spec!.template!.spec!.containers![0]!;
    expect(container.env).toEqual([{ name: 'WATCH_NAMESPACE', value: 'prodlike-load' }]);
    expect(container.args).toContain('--leader-elect=false');
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 8081 });
    const rules = byKind('Role').rules as unknown as { resources: string[] }[];
    expect(rules.flatMap((r) => r.resources)).toEqual(expect.arrayContaining(['testruns', 'testruns/status', 'jobs', 'services', 'pods/log']));
    expect(rules.flatMap((r) => r.resources)).not.toContain('secrets');
  });

  it('labels the CRDs read from the image and keeps nothing else', () => {
    const crd = 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: testruns.k6.io\n  annotations: { controller-gen.kubebuilder.io/version: v0.16.1 }\nspec: {}\n';
    const [labelled, ...rest] = labelCrds([`---\n${crd}---\n`, 'kind: Other\nmetadata: { name: x }\n'], 'k6op');
    expect(rest).toEqual([]);
    expect(labelled!.metadata).toMatchObject({ name: 'testruns.k6.io', labels: { 'io.prodlike.env': 'k6op' }, annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.1' } });
  });
});
