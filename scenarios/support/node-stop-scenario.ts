import { expect, type TestContext } from 'vitest';
import { resolveTopology, type WorkloadRole } from '../../src/config/schema.ts';
import { ProdlikeError } from '../../src/core/errors.ts';
import { waitFor } from '../../src/core/wait.ts';
import { hrNow } from '../../src/measure/clock.ts';
import { Effects } from '../../src/measure/fault-effect.ts';
import { canKubernetes, canNodes } from '../../src/providers/provider.ts';
import { log, outageText, seconds, type FailoverSuite } from './failover-suite.ts';
import { requires } from './requires.ts';
import { expectHeld, runScenario, showVerdicts } from './scenario-run.ts';

type PodRow = { name: string; app: string; node: string; ready: boolean };

/**
 * The failover suite's worker-node stop (kind): the worker holding the most backend replicas is stopped (docker
 * stop of its node container) and, for the pod RTO plus a margin, what Kubernetes does with its pods under the
 * documented PDB/anti-affinity is watched; then the node is started again and the environment must be whole.
 */
export async function nodeStopScenario(f: FailoverSuite, ctx: TestContext): Promise<void> {
  const { env, entryRto, judgeAlerts, expectAlerts } = f;
  const scenario = { suite: 'failover', id: 'failover.node-stop', title: 'Worker node stopped' };
  // PRODLIKE_NODE_STOP=0 leaves it out (a skip with this reason): CI's second application (scenarios-saasit) does,
  // as scenarios-kind measures the same kind node lifecycle and default tolerations in the same run (~155 s).
  requires(ctx, env, scenario, process.env.PRODLIKE_NODE_STOP === '0' ? undefined : true, 'node stop left out by PRODLIKE_NODE_STOP=0 (about 155 s: NotReady ~50 s + the 130 s observation window); unset it to run it');
  const nodes = requires(ctx, env, scenario, canNodes(env.provider) && canKubernetes(env.provider) ? env.provider : undefined, `the ${env.providerName} provider has no nodes: node loss needs the kind provider (PRODLIKE_PROVIDER=kind)`);
  const kube = nodes.kubectl;
  // Observe for the pod RTO plus a margin: long enough to see whether Kubernetes replaces the pods
  // within the documented 2 minutes (default tolerations evict only after 300 s NotReady).
  const observeMs = Number(process.env.PRODLIKE_NODE_STOP_OBSERVE_MS ?? 130_000);
  // Each pod is given its role by the configured namespace and selector (topology.<role>), not by our labels.
  const roles = resolveTopology(env.config).filter((w) => w.enabled);
  const roleOf = (namespace: string, labels: Record<string, string> = {}) => roles.find((w) => w.namespace === namespace && Object.entries(w.selector).every(([k, v]) => labels[k] === v))?.role;
  const placement = async (): Promise<PodRow[]> => {
    const list = await kube.json<{ items: { metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }[] }>(['get', 'pods', '-A']);
    return list.items.flatMap((p) => {
      const role = roleOf(p.metadata.namespace, p.metadata.labels);
      if (!role || p.status?.phase === 'Succeeded') return [];
      return [{
        name: p.metadata.name, app: role, node: p.spec.nodeName ?? '(unscheduled)',
        ready: !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      }];
    });
  };
  await runScenario(env, { id: 'failover.node-stop', title: 'Worker node stopped' }, async (s) => {
    const before = await placement();
    const workers = (await nodes.nodes()).filter((n) => n.role !== 'control-plane');
    // The worker holding the most backend replicas: the documented HPA/PDB/anti-affinity are about the backend.
    const score = (node: string) => before.filter((p) => p.node === node && p.app === 'backend').length * 10 + before.filter((p) => p.node === node).length;
    const victim = [...workers].sort((a, b) => score(b.name) - score(a.name))[0];
    if (!victim) throw new Error('the cluster has no worker node to stop');
    const onVictim = before.filter((p) => p.node === victim.name);
    const desired = Object.fromEntries(['backend', 'frontend'].map((a) => [a, before.filter((p) => p.app === a).length]));
    log(`stopping ${victim.name}; on it: ${onVictim.map((p) => p.name).join(', ') || 'nothing'}`);
    const entry = s.entryProbe();
    await s.baseline([entry]);
    let restarted = false;
    try {
      const fault = await s.inject({
        name: `node ${victim.name} stopped`, subject: victim.name,
        apply: async () => {
          await nodes.stopNode(victim.name, { waitNotReady: false });
          return `docker stop of the node container (${onVictim.length} app pods on it)`;
        },
        effects: () => [Effects.condition(`node ${victim.name} NotReady`, async () => ((await nodes.nodes()).find((n) => n.name === victim.name)?.ready === false ? `${victim.name} reported NotReady` : undefined))],
        withinMs: 150_000,
      });
      s.timeline.add({ at: fault.effect.at, type: 'node.stopped', source: 'provider', subject: victim.name, detail: `reported NotReady ${seconds(fault.effect.afterMs)} after the stop` });
      // Watch until every documented workload is back at its replica count on the remaining nodes, or the window ends.
      const seen = new Set(before.map((p) => p.name));
      const rescheduled: string[] = [];
      const recoveredAt = await waitFor(async () => {
        const now = await placement();
        for (const p of now.filter((x) => !seen.has(x.name))) {
          seen.add(p.name);
          rescheduled.push(`${p.name} -> ${p.node}`);
          s.timeline.add({ at: hrNow(), type: 'pod.scheduled', source: 'provider', subject: p.name, detail: `on ${p.node}` });
        }
        const healthy = (a: string) => now.filter((p) => p.app === a && p.ready && p.node !== victim.name).length;
        const single = roles.filter((w) => !['backend', 'frontend'].includes(w.role)).every((w) => now.some((p) => p.app === w.role && p.ready && p.node !== victim.name));
        return healthy('backend') >= desired.backend! && healthy('frontend') >= desired.frontend! && single ? hrNow() : undefined;
      }, { timeoutMs: Math.max(0, fault.at + observeMs - hrNow()), intervalMs: 2_000, description: `every workload back at its replica count without ${victim.name}` })
        // The window ending is the observation, not an error (a pod listing that kept failing is).
        .catch((error: unknown) => {
          if (error instanceof ProdlikeError && error.code === 'READINESS_TIMEOUT' && error.cause === undefined) return undefined;
          throw error;
        });
      if (recoveredAt !== undefined) s.timeline.add({ at: recoveredAt, type: 'pod.ready', source: 'provider', subject: 'all workloads', detail: 'every workload at its replica count on the remaining nodes' });
      const during = await placement();
      const entryDuring = entryRto(entry, fault.at);
      const started = await nodes.startNode(victim.name);
      restarted = true;
      s.timeline.add({ at: hrNow(), type: 'node.ready', source: 'provider', subject: victim.name, detail: `Ready ${seconds(started.readyAfterMs)} after docker start` });
      await waitFor(async () => ((await env.provider.status()).healthy ? true : undefined), { timeoutMs: 300_000, intervalMs: 2_000, description: `every workload Ready again after ${victim.name} came back` });
      const backAt = hrNow();
      // PostgreSQLDown / RedisDown are meant for this fault when the database ran on the stopped node (down for the whole
      // observation, longer than for: 1m); otherwise nothing is down and neither may fire.
      const onIt = (role: WorkloadRole) => onVictim.some((p) => p.app === role);
      const alerted = await judgeAlerts('failover.node-stop', (['postgres', 'redis'] as const).map((role) => ({
        alert: role === 'postgres' ? 'PostgreSQLDown' : 'RedisDown', labels: { job: role }, conditionAt: fault.at, conditionEndAt: onIt(role) ? backAt : fault.at,
        note: onIt(role) ? `${role} ran on ${victim.name}` : `${role} not on ${victim.name}`,
      })));
      const stuck = during.filter((p) => p.node === victim.name).map((p) => `${p.name}${p.ready ? '' : ' (not ready)'}`);
      // Not recovered within the window: the window is a lower bound of the recovery time ("at least").
      const measured = recoveredAt === undefined ? observeMs : recoveredAt - fault.at;
      const verdicts = [
        env.verdict('pods.rto', {
          value: measured,
          ...(recoveredAt === undefined ? { lowerBound: true } : {}),
          note: recoveredAt === undefined
            ? `pods on ${victim.name} were not replaced within the ${seconds(observeMs)} window (${stuck.join(', ') || 'none'} still bound to it; the default 300 s NotReady toleration evicts them only later)`
            : `every workload back at its replica count on the remaining nodes ${seconds(measured)} after the stop`,
        }),
      ];
      showVerdicts(verdicts);
      await s.record({
        title: `Worker node stopped (${victim.name})`, verdicts,
        notes: [
          `placement before: ${onVictim.map((p) => p.name).join(', ') || 'no app pod'} on ${victim.name}`,
          `NotReady reported after ${seconds(fault.effect.afterMs)}; rescheduled within the window: ${rescheduled.join(', ') || 'none'}`,
          `user-facing outage at the entry point while the node was down: ${outageText(entryDuring)}`,
          `node Ready ${seconds(started.readyAfterMs)} after docker start; every workload Ready again ${seconds(backAt - fault.at)} after the stop`,
          ...alerted.notes,
        ],
      });
      log(`node-stop: NotReady after ${seconds(fault.effect.afterMs)}, recovered ${recoveredAt === undefined ? `not within the ${seconds(observeMs)} window` : `after ${seconds(measured)}`}, rescheduled: ${rescheduled.length}, user-facing outage ${outageText(entryDuring)}`);
      // What the harness guarantees: the node really went NotReady (the fault's effect), came back, and the environment is whole again.
      expect((await nodes.nodes()).every((n) => n.ready)).toBe(true);
      expectAlerts(alerted.rows);
      // Whether the documented design meets the pod RTO on node loss is the verdict above (exit 1 of
      // `prodlike run` when missed); as a test assertion only with PRODLIKE_STRICT_TARGETS=1.
      if (process.env.PRODLIKE_STRICT_TARGETS === '1') expectHeld(verdicts);
    } finally {
      if (!restarted) await nodes.startNode(victim.name).catch(() => undefined);
    }
  });
}
