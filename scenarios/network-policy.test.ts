/**
 * NetworkPolicy suite (issue #20; kind only): the manifests' NetworkPolicies as the cluster enforces them (the
 * network-policy add-on: kube-network-policies on every node), measured from pods in the cluster.
 *
 * Sources: one running pod of each role of the configuration that has pods (frontend, backend, worker...), the
 * monitoring add-on's exporters, and a short-lived probe pod in a namespace of its own (another team's pod: no
 * policy names it). Destinations: a ready pod of every role with a port (the configuration's namespace, selector and
 * port), connected to by pod address. Nothing here names a policy or a pod: the expected verdict of every path comes
 * from the NetworkPolicies read from the cluster, evaluated with `prodlike check`'s NetworkPolicy semantics
 * (src/check/network.ts) for the two pods' labels and namespaces; the measurement is a TCP connect from the source pod
 * (bash /dev/tcp under `timeout`, all paths of a source at once): allowed paths must connect, denied ones must time
 * out or be refused. Each row shows the policies that admit or isolate it, and whether document 001's four policies
 * alone (the reference manifests' base adds the rest, marked "not in doc 001") would admit it.
 *
 * Nothing in the environment changes except the probe namespace, removed at the end (`reset: false`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkPolicy } from '../src/check/parse-policies.ts';
import type { NetworkPolicy } from '../src/check/model-types.ts';
import { evaluateConnection, type PodEndpoint } from '../src/check/network.ts';
import { resolveWorkload, WORKLOAD_ROLES } from '../src/config/schema.ts';
import { table } from '../src/core/text-table.ts';
import { waitFor } from '../src/core/wait.ts';
import type { Kubectl } from '../src/kube/kubectl.ts';
import type { KubeList, KubeObject } from '../src/kube/objects.ts';
import { evaluateTarget, type Verdict } from '../src/measure/verdict.ts';
import { EXPORTERS, MONITORING_NAMESPACE } from '../src/providers/kind/monitoring-config.ts';
import { toApplyList } from '../src/providers/kind/kind-workloads.ts';
import { NETWORK_POLICY_AGENT, NETWORK_POLICY_NAMESPACE } from '../src/providers/kind/network-policy-addon.ts';
import { canKubernetes } from '../src/providers/provider.ts';
import { ownLabels } from '../src/safety/ownership.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { expectHeld, runScenario } from './support/scenario-run.ts';

const log = (message: string) => process.stdout.write(`[network-policy ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
const SECURITY_1 = { doc: '001', section: 'Security Implementation › 1. Network Security' };
/** Document 001's own policies as the reference manifests name them (the base adds the others, marked "not in doc 001"). */
const DOC_001_POLICIES = ['default-deny-all', 'backend-network-policy', 'postgres-network-policy', 'redis-network-policy'];
const CONNECT_TIMEOUT_S = 2;

interface Pod extends KubeObject { spec: { nodeName?: string; containers: { name: string; image: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[] }; status?: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] } }
interface Source { label: string; pod: Pod; container?: string; probe?: boolean }
interface Destination { label: string; pod: Pod; port: number }
interface Probe { outcome: 'connected' | 'refused' | 'timeout' | 'error'; ms: number; detail: string }

async function missingPrerequisite(): Promise<string | undefined> {
  if ((process.env.PRODLIKE_PROVIDER ?? 'docker') !== 'kind') return 'NetworkPolicies are enforced by a kind add-on: run with PRODLIKE_PROVIDER=kind';
  return scenarioSkipReason('kind');
}
const skip = await missingPrerequisite();

const ready = (p: Pod) => p.status?.phase === 'Running' && Boolean(p.status.podIP) && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** bash: connect to every host:port at once, each under `timeout`; one line per target: host port outcome ms detail. */
const PROBE_SCRIPT = `probe() { local s e rc; s=$(date +%s%N); e=$(timeout ${CONNECT_TIMEOUT_S} bash -c "exec 3<>/dev/tcp/$1/$2" 2>&1); rc=$?
  local ms=$(( ($(date +%s%N) - s) / 1000000 )) o=connected
  if [ $rc = 124 ]; then o=timeout; elif [ $rc != 0 ]; then case "$e" in *refused*) o=refused ;; *) o=error ;; esac; fi
  echo "$1 $2 $o $ms \${e//$'\\n'/ }"; }
for t in "$@"; do probe "\${t%:*}" "\${t#*:}" & done; wait`;

async function probeFrom(kubectl: Kubectl, source: Source, targets: readonly Destination[]): Promise<Map<string, Probe>> {
  const ns = source.pod.metadata.namespace ?? 'default';
  const args = targets.map((t) => `${t.pod.status?.podIP}:${t.port}`);
  const r = await kubectl.run(['-n', ns, 'exec', source.pod.metadata.name, ...(source.container ? ['-c', source.container] : []), '--', 'bash', '-c', PROBE_SCRIPT, 'probe', ...args], { timeoutMs: 60_000, allowFailure: true });
  const out = new Map<string, Probe>();
  for (const line of r.stdout.split('\n')) {
    const [host, port, outcome, ms, ...detail] = line.trim().split(' ');
    if (host && port && outcome && ms) out.set(`${host}:${port}`, { outcome: outcome as Probe['outcome'], ms: Number(ms), detail: detail.join(' ') });
  }
  if (!out.size) throw new Error(`no probe result from ${ns}/${source.pod.metadata.name} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  return out;
}

describe.skipIf(Boolean(skip))(`network-policy${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let kubectl: Kubectl;
  let probeNamespace: string;

  beforeAll(async () => {
    env = await startScenarioEnvironment('network-policy', { reset: false });
    if (!canKubernetes(env.provider)) throw new Error(`${env.providerName} provider has no kubectl`);
    kubectl = env.provider.kubectl;
    probeNamespace = `prodlike-netpol-probe-${env.config.name}`.slice(0, 63);
  }, 900_000);

  afterAll(async () => {
    if (kubectl && probeNamespace) await kubectl.run(['delete', 'namespace', probeNamespace, '--ignore-not-found', '--wait=false'], { allowFailure: true });
    await env?.teardown();
  }, 600_000);

  it('every path the NetworkPolicies allow answers, every path they deny is refused or times out (measured from pods)', async () => {
    await runScenario(env, { id: 'network-policy.paths', title: 'NetworkPolicies enforced: allowed paths answer, denied paths do not (from pods in the cluster)' }, async (s) => {
      const started = performance.now();
      const agent = await kubectl.json<KubeObject & { status?: { numberReady?: number; desiredNumberScheduled?: number }; spec: { template: { spec: { containers: { image: string }[] } } } }>(['-n', NETWORK_POLICY_NAMESPACE, 'get', 'daemonset', NETWORK_POLICY_AGENT]).catch(() => undefined);
      if (!agent) throw new Error(`no NetworkPolicy agent (daemonset ${NETWORK_POLICY_NAMESPACE}/${NETWORK_POLICY_AGENT}): is networkPolicies.enforce false? Then nothing is enforced and this suite has nothing to measure.`);
      log(`agent ${agent.spec.template.spec.containers[0]?.image}: ${agent.status?.numberReady}/${agent.status?.desiredNumberScheduled} nodes ready`);

      // The pods of the configuration's roles, and a probe pod in a namespace of its own, on a node that has the app image.
      const pods = (await kubectl.json<KubeList<Pod>>(['get', 'pods', '-A'])).items.filter(ready);
      const podsOf = (namespace: string, selector: Record<string, string>) => pods.filter((p) => p.metadata.namespace === namespace && Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v));
      const roles = WORKLOAD_ROLES.map((role) => resolveWorkload(env.config, role)).filter((w) => w.enabled);
      const sources: Source[] = roles.flatMap((w) => podsOf(w.namespace, w.selector).slice(0, 1).map((pod) => ({ label: w.role, pod })));
      const destinations: Destination[] = roles.filter((w) => w.port > 0).flatMap((w) => podsOf(w.namespace, w.selector).slice(0, 1).map((pod) => ({ label: `${w.role}:${w.port}`, pod, port: w.port })));
      for (const role of ['postgres', 'redis'] as const) {
        sources.push(...podsOf(MONITORING_NAMESPACE, { 'app.kubernetes.io/name': EXPORTERS[role].name }).slice(0, 1).map((pod) => ({ label: `${role} exporter (prodlike)`, pod })));
      }
      const host = sources.find((x) => x.label === 'backend') ?? sources[0];
      if (!host || !destinations.length) throw new Error(`no running pod of the configuration's roles (${roles.map((w) => `${w.role} in ${w.namespace}`).join(', ')})`);
      await kubectl.apply(toApplyList([
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: probeNamespace, labels: ownLabels(env.config.name) } },
        {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: probeNamespace, labels: { ...ownLabels(env.config.name), app: 'netpol-probe' } },
          spec: {
            nodeName: host.pod.spec.nodeName, terminationGracePeriodSeconds: 0, automountServiceAccountToken: false,
            containers: [{ name: 'probe', image: host.pod.spec.containers[0]!.image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '600'], securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
          },
        },
      ]));
      const probePod = await waitFor(async () => {
        const p = await kubectl.json<Pod>(['-n', probeNamespace, 'get', 'pod', 'probe']);
        return ready(p) ? p : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250, description: `probe pod ${probeNamespace}/probe Ready` });
      sources.push({ label: `another namespace (${probeNamespace})`, pod: probePod, probe: true });

      // Expected verdicts: the cluster's policies, with check's NetworkPolicy semantics.
      const rawPolicies = (await kubectl.json<KubeList<KubeObject & { spec: Record<string, unknown> }>>(['get', 'networkpolicies', '-A'])).items;
      const policies: NetworkPolicy[] = rawPolicies.map((o) => parseNetworkPolicy({ kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', raw: o as unknown as Record<string, unknown> }, o.spec));
      const documented = policies.filter((p) => DOC_001_POLICIES.includes(p.name) || rawPolicies.find((o) => o.metadata.name === p.name && o.metadata.namespace === p.namespace)?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'prodlike');
      const namespaceLabels = new Map((await kubectl.json<KubeList<KubeObject>>(['get', 'namespaces'])).items.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
      const endpoint = (label: string, p: Pod): PodEndpoint => ({
        label, ref: { kind: 'Pod', namespace: p.metadata.namespace ?? 'default', name: p.metadata.name }, namespace: p.metadata.namespace ?? 'default',
        labels: p.metadata.labels ?? {}, namespaceLabels: namespaceLabels.get(p.metadata.namespace ?? 'default') ?? {},
        ports: p.spec.containers.flatMap((c) => (c.ports ?? []).map((q) => ({ ...(q.name ? { name: q.name } : {}), containerPort: q.containerPort, protocol: q.protocol ?? 'TCP' }))), external: false,
      });

      // Measured: every source to every destination at once (one exec per source, all sources in parallel).
      const t0 = performance.now();
      const measured = await Promise.all(sources.map(async (src) => ({ src, results: await probeFrom(kubectl, src, destinations) })));
      const probeMs = performance.now() - t0;

      const verdicts: Verdict[] = [];
      const rows: string[][] = [];
      const notes: string[] = [];
      for (const { src, results } of measured) {
        for (const dst of destinations) {
          if (src.pod.metadata.uid === dst.pod.metadata.uid) continue;
          const v = evaluateConnection(policies, endpoint(src.label, src.pod), endpoint(dst.label, dst.pod), dst.port, 'TCP');
          const doc = evaluateConnection(documented, endpoint(src.label, src.pod), endpoint(dst.label, dst.pod), dst.port, 'TCP');
          const m = results.get(`${dst.pod.status?.podIP}:${dst.port}`);
          const answered = m?.outcome === 'connected';
          const names = (list: readonly string[]) => (list.length > 3 ? `${list.slice(0, 3).join('+')}+${list.length - 3} more` : list.join('+'));
          const by = v.allowed
            ? `allowed: egress ${v.egress.isolatedBy.length ? v.egress.allowedBy.join('+') : 'not isolated'}; ingress ${v.ingress.isolatedBy.length ? v.ingress.allowedBy.join('+') : 'not isolated'}`
            : `denied: ${[!v.egress.allowed ? `egress isolated by ${names(v.egress.isolatedBy)}` : '', !v.ingress.allowed ? `ingress isolated by ${names(v.ingress.isolatedBy)}` : ''].filter(Boolean).join('; ')}, no rule admits it`;
          const shown = m ? (m.outcome === 'connected' ? `connected in ${m.ms} ms` : m.outcome === 'timeout' ? `timeout (${CONNECT_TIMEOUT_S} s)` : `${m.outcome} in ${m.ms} ms${m.detail ? ` (${m.detail.slice(0, 60)})` : ''}`) : 'no result';
          rows.push([src.label, dst.label, `${dst.pod.metadata.namespace}`, by, v.allowed === doc.allowed ? (doc.allowed ? 'allowed' : 'denied') : `${doc.allowed ? 'allowed' : 'DENIED'} (doc 001 alone)`, shown, answered === v.allowed && m?.outcome !== 'error' ? 'held' : 'MISSED']);
          if (v.allowed && !doc.allowed) notes.push(`${src.label} -> ${dst.label}: document 001's policies alone deny it (${[!doc.egress.allowed ? `egress: ${doc.egress.isolatedBy.join('+')}` : '', !doc.ingress.allowed ? `ingress: ${doc.ingress.isolatedBy.join('+')}` : ''].filter(Boolean).join('; ')}); admitted here by ${[...v.egress.allowedBy, ...v.ingress.allowedBy].filter((n) => !DOC_001_POLICIES.includes(n)).join(', ')}`);
          const id = `network-policy.${src.probe ? 'other-namespace' : src.label.replace(/\W+/g, '-')}.${dst.label.replace(/\W+/g, '-')}`.replace(/-+(\.|$)/g, '$1');
          verdicts.push(evaluateTarget(
            { id, component: 'network', metric: v.allowed ? 'connects (allowed path answers)' : 'refused or timed out (denied path)', unit: 'bool', ...(v.allowed ? { minValue: 1 } : { maxValue: 0 }), source: { ...SECURITY_1, quote: v.allowed ? [...new Set([...v.egress.allowedBy, ...v.ingress.allowedBy])].join(', ') || 'no policy isolates either pod' : [...new Set([...v.egress.isolatedBy, ...v.ingress.isolatedBy])].join(', ') } },
            m && m.outcome !== 'error' ? { value: answered ? 1 : 0, note: `${src.pod.metadata.namespace}/${src.pod.metadata.name} -> ${dst.pod.metadata.namespace}/${dst.pod.metadata.name} ${dst.pod.status?.podIP}:${dst.port}: ${shown}` } : { skipped: `no measurement (${m ? `${m.outcome}: ${m.detail}` : 'no output line'})` },
            { sourceLabel: `NetworkPolicies in the cluster (${by})` },
          ));
        }
      }
      const allowed = verdicts.filter((v) => v.metric.startsWith('connects')).length;
      process.stdout.write(`\n${table(['from', 'to (role:port)', 'namespace', 'policy verdict', 'doc 001 alone', 'measured', 'held'], rows)}\n\n`);
      notes.push(`${rows.length} paths: ${allowed} allowed, ${rows.length - allowed} denied; probes ${Math.round(probeMs)} ms for all of them at once (TCP connect to the pod address, ${CONNECT_TIMEOUT_S} s timeout), suite ${Math.round((performance.now() - started) / 1000)} s`);
      notes.push(`enforced by ${agent.spec.template.spec.containers[0]?.image} on ${agent.status?.numberReady} nodes; verdicts expected from the cluster's ${policies.length} NetworkPolicies with prodlike check's semantics (src/check/network.ts); "doc 001 alone": only ${DOC_001_POLICIES.join(', ')} and prodlike's own`);
      for (const n of notes) log(n);
      await s.record({ suite: 'network-policy', verdicts, notes });
      expectHeld(verdicts);
    });
    expect(true).toBe(true);
  }, 300_000);
});
