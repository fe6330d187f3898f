import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWorkload } from '../src/config/schema.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { waitFor } from '../src/core/wait.ts';
import type { KubeList, PodObject } from '../src/kube/objects.ts';
import { hrNow } from '../src/measure/clock.ts';
import { Effects } from '../src/measure/fault-effect.ts';
import { clientObservedRto, type RtoMeasurement } from '../src/measure/outage.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { postgresSentinelSink } from '../src/measure/sinks/postgres-sentinel-sink.ts';
import type { Verdict } from '../src/measure/verdict.ts';
import { sqlCheck } from '../src/probe/index.ts';
import { canEndpoint, canKill, canKubernetes, canNodes, type Provider, type SupportsEndpoints, type SupportsKill, type SupportsKubernetes, type SupportsNodes } from '../src/providers/provider.ts';
import { appApi } from './support/app-api.ts';
import { requires } from './support/requires.ts';
import { PatroniWatch } from './support/patroni-watch.ts';
import { ENTRY_SLOW_MS, RECOVERY_WINDOW_MS, runScenario, showVerdicts, type ScenarioRun } from './support/scenario-run.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ConfigOverrides, type ScenarioEnvironment } from './support/scenario-env.ts';

/**
 * PostgreSQL high availability as document 001 §High Availability 5 describes it (Patroni, 3 replicas, "promotes
 * replica to primary on failure, updates service endpoint automatically. Typical failover time: 30-60 seconds"), on
 * the kind variant kind/manifests/overlays/kind-ha, selected by configuration alone (its prodlike-config.yaml, merged
 * over the project's configuration). Faults on the leader:
 * - crash (SIGKILL of the leader's container): the kubelet restarts it on the same pod, under the same member name;
 * - node stop (the leader's kind node container stopped): nothing restarts it, the leader lock (ttl 30 s) expires.
 * Measured for each: promotion from Patroni's own state (the `leader` annotation of its leader object) and from the
 * Kubernetes endpoint of the application's Service (its ready EndpointSlice endpoints: the new leader), the
 * client-observed RTO on SQL (a new connection per attempt, through prodlike's access Service, which follows the
 * leader like postgres-service) and at the application's entry point, and the RPO of acknowledged writes (SQL
 * sentinels and, where the application has a records endpoint, writes through the application): replication is
 * asynchronous (Spilo's default), so a promotion can lose acknowledged writes; every lost one is listed.
 * Verdicts: postgres.failover.rto (doc 001 "30-60 seconds", held to 60 s) for a promotion, pods.rto (2 min) for
 * the client-observed outage, pods.rpo (0) for acknowledged writes. As in scenarios/failover.test.ts, every
 * scenario proves its measurement: a clean baseline, the fault's effect, a sustained recovery window.
 */
const KIND_ONLY = process.env.PRODLIKE_PROVIDER === 'kind' ? undefined : 'the PostgreSQL HA variant is a set of kind manifests (run with PRODLIKE_PROVIDER=kind)';
const skip = KIND_ONLY ?? (await scenarioSkipReason());
const VARIANT = join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind-ha', 'prodlike-config.yaml');
const log = (message: string) => process.stdout.write(`[postgres-ha ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const outageText = (rto: RtoMeasurement) => (!rto.outageObserved ? 'none (no failed or slow request)' : `${rto.lowerBound ? 'at least ' : ''}${seconds(rto.rtoMs)}`);

type Member = { name: string; node: string; ready: boolean; restarts: number; role: string };

describe.skipIf(Boolean(skip))(`postgres-ha${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let provider: Provider & SupportsKill & SupportsEndpoints & SupportsKubernetes & SupportsNodes;
  let pgConfig: pg.ClientConfig;
  let app: ReturnType<typeof appApi>;
  let scope: string;
  let store: 'configmaps' | 'endpoints';
  let roleLabel: string;

  beforeAll(async () => {
    const variant = parseYaml(readFileSync(VARIANT, 'utf8')) as ConfigOverrides;
    // Its paths are the repository's (whatever configuration file PRODLIKE_CONFIG names).
    const overrides: ConfigOverrides = { ...variant, ...(variant.manifests ? { manifests: join(PACKAGE_ROOT, variant.manifests) } : {}) };
    env = await startScenarioEnvironment('postgres-ha', { config: overrides });
    log(`environment ${env.created ? 'created' : 'reused'} with ${overrides.manifests}: ${env.entry}`);
    const p = env.provider;
    if (!canKill(p) || !canEndpoint(p) || !canKubernetes(p) || !canNodes(p)) throw new Error(`${env.providerName} provider cannot kill, publish endpoints, reach Kubernetes or stop nodes`);
    provider = p;
    const pgEp = await provider.endpoint('postgres');
    pgConfig = { host: pgEp.host, port: pgEp.port, user: env.config.database.user, database: env.config.database.name, password: env.secrets.postgresPassword };
    app = appApi(env.entry, pgConfig, env.config.application);
    // Patroni's scope and store as the StatefulSet configures them (Spilo's environment), not assumed here.
    const w = resolveWorkload(env.config, 'postgres');
    const sts = await provider.kubectl.json<{ spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }>(['-n', w.namespace, 'get', w.workload]);
    const vars = new Map((sts.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']));
    scope = vars.get('SCOPE') || 'dummy';
    store = vars.get('KUBERNETES_USE_CONFIGMAPS') ? 'configmaps' : 'endpoints';
    roleLabel = vars.get('KUBERNETES_ROLE_LABEL') || 'spilo-role';
    log(`Patroni scope ${scope}, store ${store}, role label ${roleLabel}; SQL through ${pgEp.host}:${pgEp.port} (the leader)`);
  }, 900_000);

  afterAll(async () => {
    await env?.teardown();
  }, 300_000);

  const members = async (): Promise<Member[]> => {
    const w = resolveWorkload(env.config, 'postgres');
    const pods = await provider.kubectl.json<KubeList<PodObject & { metadata: { labels?: Record<string, string> } }>>(['-n', w.namespace, 'get', 'pods', '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')]);
    return pods.items.map((pod) => ({
      name: pod.metadata.name, node: pod.spec?.nodeName ?? '', role: pod.metadata.labels?.[roleLabel] ?? '',
      ready: (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      restarts: (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    })).sort((a, b) => a.name.localeCompare(b.name));
  };
  const watchPatroni = async () => {
    const w = resolveWorkload(env.config, 'postgres');
    const watch = new PatroniWatch({ kubeConfig: provider.kubeConfig(), namespace: w.namespace, scope, service: w.service, store });
    await watch.start({ timeoutMs: 180_000 });
    return watch;
  };
  /** Every member Ready: the cluster is whole again (a replica re-cloned or rewound), before and after a fault. */
  const allMembersReady = (why: string) => waitFor(async () => {
    const m = await members();
    return m.length >= 3 && m.every((x) => x.ready) ? m : undefined;
  }, { timeoutMs: 300_000, intervalMs: 2000, description: `every Patroni member Ready (${why})` });

  /**
   * One failover scenario: the fault on the leader, then promotion (Patroni, endpoint), client RTOs and RPO.
   * `fault` applies it and returns what it did; `effect` is what must visibly change.
   */
  const failover = async (s: ScenarioRun, options: { kind: 'crash' | 'node-stop'; leader: Member; watch: PatroniWatch; fault: () => Promise<string>; effectWithinMs: number; recoverWithinMs: number; notes: string[] }) => {
    const { watch, leader } = options;
    const server = s.probe(sqlCheck(pgConfig, { mode: 'per-attempt' }), { name: 'postgres: new connection + select 1 per attempt, via the leader (server accepts connections)' });
    const entry = s.entryProbe();
    const sql = s.use(await new SentinelWriter(postgresSentinelSink(pgConfig, { table: 'sentinel_postgres_ha' }), { ratePerSecond: 10 }).start());
    const records = app.has('records') ? app.recordsSink() : undefined;
    const through = records ? s.use(await new SentinelWriter(records.sink, { ratePerSecond: 5 }).start()) : undefined;
    await sql.waitForAcked(10, { signal: env.signal });
    await through?.waitForAcked(5, { signal: env.signal });
    await s.baseline([server, entry]);
    const restartsBefore = leader.restarts;
    const fault = await s.inject({
      name: `${options.kind} of the Patroni leader ${leader.name}`, subject: leader.name,
      apply: options.fault,
      effects: (at) => [
        Effects.increases(`${leader.name} restart count`, restartsBefore, async () => (await members()).find((m) => m.name === leader.name)?.restarts ?? restartsBefore),
        Effects.condition(`a Patroni leader other than ${leader.name}`, async () => watch.newLeaderAfter(leader.name, at)?.leader),
        Effects.condition(`Service ${resolveWorkload(env.config, 'postgres').service} without a ready endpoint`, async () => (watch.endpointEmptyAfter(at) ? 'no ready endpoint' : undefined)),
      ],
      withinMs: options.effectWithinMs,
    });
    log(`fault: ${fault.detail}; effect: ${fault.effect.seen} after ${seconds(fault.effect.afterMs)}`);
    await s.recovered([server, entry], fault.at, { timeoutMs: options.recoverWithinMs });
    // Patroni's state settles: a new leader behind the Service, or the old one back (a restart within the lock's ttl).
    const settled = await waitFor(async () => {
      const now = watch.leader;
      return now && watch.endpointOnAfter(now, fault.at) ? now : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, description: 'a Patroni leader behind the Service after the fault' }).catch(() => undefined);
    await sql.stop();
    await through?.stop();
    const [sqlRpo, appRpo] = [await sql.verify({ faultAt: fault.at }), through ? await through.verify({ faultAt: fault.at }) : undefined];
    const promoted = watch.newLeaderAfter(leader.name, fault.at);
    const endpoint = settled ? watch.endpointOnAfter(settled, fault.at) : undefined;
    const emptied = watch.endpointEmptyAfter(fault.at);
    if (promoted) s.timeline.add({ at: promoted.at, type: 'note', source: 'provider', subject: promoted.leader, detail: `Patroni leader annotation names ${promoted.leader}` });
    if (endpoint) s.timeline.add({ at: endpoint.at, type: 'note', source: 'provider', subject: endpoint.pods.join(','), detail: 'the Service endpoint is the leader' });
    const serverRto = clientObservedRto(server.attempts, fault.at, { sustainedMs: RECOVERY_WINDOW_MS });
    const entryRto = clientObservedRto(entry.attempts, fault.at, { sustainedMs: RECOVERY_WINDOW_MS, slowThresholdMs: ENTRY_SLOW_MS });
    const lost = (r: typeof sqlRpo) => `${r.lostAcked.length} of ${r.ackedBeforeFault} acknowledged before the fault lost${r.lostAcked.length ? ` (seq ${r.lostAcked.join(', ')})` : ''}${r.lostAckedAfterFault.length ? `; acknowledged after the fault and lost: seq ${r.lostAckedAfterFault.join(', ')}` : ''}`;
    const verdicts: Verdict[] = [
      ...(promoted ? [env.verdict('postgres.failover.rto', { value: promoted.at - fault.at, note: `Patroni promoted ${promoted.leader} (its leader annotation) ${seconds(promoted.at - fault.at)} after the ${options.kind}; the Service endpoint followed ${endpoint ? `${seconds(endpoint.at - fault.at)} after` : 'not within the wait'}` })] : []),
      env.verdict('pods.rto', { value: serverRto.rtoMs, lowerBound: serverRto.lowerBound, note: `SQL from a client (a new connection + select 1 per attempt) ${serverRto.outageObserved ? `back ${seconds(serverRto.rtoMs)} after the ${options.kind}` : 'never interrupted'}` }),
      env.verdict('pods.rto', { value: entryRto.rtoMs, lowerBound: entryRto.lowerBound, note: `through the application's entry point (${entry.target}, answers over ${ENTRY_SLOW_MS} ms count as failures): ${outageText(entryRto)}` }),
      env.verdict('pods.rpo', { value: sqlRpo.rpoMs, lowerBound: sqlRpo.lowerBound, note: `SQL sentinel rows committed on the leader: ${lost(sqlRpo)}` }),
      ...(appRpo && records ? [env.verdict('pods.rpo', { value: appRpo.rpoMs, lowerBound: appRpo.lowerBound, note: `${records.what}: ${lost(appRpo)}` })] : []),
    ];
    showVerdicts(verdicts);
    const after = await members();
    const patroni = promoted
      ? `Patroni: leader ${leader.name} -> ${promoted.leader} at +${seconds(promoted.at - fault.at)} (leader annotation of ${watch.leaderObject})`
      : `Patroni: no promotion, ${settled ?? 'no leader'} leads after the ${options.kind}${settled === leader.name ? ' (the same member came back and kept its leader lock: its restart was shorter than the lock\'s ttl)' : ''}`;
    const endpointText = `Service endpoint: ${emptied ? `no ready endpoint from +${seconds(emptied.at - fault.at)}` : 'never empty'}, ${endpoint ? `${endpoint.pods.join(',')} from +${seconds(endpoint.at - fault.at)}` : 'not back on a leader within the wait'}`;
    log(`${patroni}; ${endpointText}; SQL outage ${outageText(serverRto)}, entry ${outageText(entryRto)}; RPO SQL ${lost(sqlRpo)}${appRpo ? `, app ${lost(appRpo)}` : ''}`);
    await s.record({
      verdicts, sentinels: [sqlRpo, ...(appRpo ? [appRpo] : [])],
      notes: [
        `effect: ${fault.effect.seen} after ${seconds(fault.effect.afterMs)}`, patroni, endpointText,
        `members before: ${options.notes.join('; ')}; after: ${after.map((m) => `${m.name}@${m.node} ${m.role || '-'}${m.ready ? '' : ' (not ready)'} restarts ${m.restarts}`).join(', ')}`,
        `leader lock history: ${watch.leaders.map((l) => `${l.leader || '(none)'}${l.at >= fault.at ? ` +${seconds(l.at - fault.at)}` : ''}`).join(' -> ')}`,
        ...(watch.errors.length ? [`watch errors (the timeline may be thinner): ${watch.errors.join('; ')}`] : []),
      ],
    });
    return { promoted, endpoint, serverRto, entryRto, sqlRpo, appRpo, verdicts };
  };

  it('the leader crashes (SIGKILL of its container): Patroni and the Service recover, acknowledged writes counted and listed', async () => {
    await runScenario(env, { id: 'postgres-ha.leader-crash', title: 'Patroni leader crash (SIGKILL)' }, async (s) => {
      const before = await allMembersReady('before the crash');
      const watch = await watchPatroni();
      try {
        const leader = before.find((m) => m.name === watch.leader);
        if (!leader) throw new Error(`Patroni's leader ${watch.leader} is not a member pod (${before.map((m) => m.name).join(', ')})`);
        const r = await failover(s, {
          kind: 'crash', leader, watch, effectWithinMs: 30_000, recoverWithinMs: 180_000,
          notes: before.map((m) => `${m.name}@${m.node} ${m.role}`),
          fault: async () => `SIGKILL via ${(await provider.kill('postgres', { replica: before.indexOf(leader) })).via}`,
        });
        await allMembersReady('after the crash');
        expect(r.sqlRpo.ackedBeforeFault).toBeGreaterThanOrEqual(10);
        expect(r.serverRto.lowerBound, 'SQL did not recover within the wait').toBe(false);
      } finally {
        watch.stop();
      }
    });
  }, 900_000);

  it("the leader's node stops: a replica is promoted, the Service follows it; beside the single-replica node stop", async (ctx) => {
    const scenario = { suite: 'postgres-ha', id: 'postgres-ha.leader-node-stop', title: "Patroni leader's node stopped" };
    // About 3.5 min (the 130 s window, the node's restart, a member rewound): outside CI's time budget unless asked for.
    requires(ctx, env, scenario, process.env.CI !== 'true' || process.env.PRODLIKE_HA_NODE_STOP === '1' ? true : undefined, 'node stop of the Patroni leader runs in CI only with PRODLIKE_HA_NODE_STOP=1 (about 3.5 min)');
    await runScenario(env, { id: scenario.id, title: scenario.title }, async (s) => {
      const before = await allMembersReady('before the node stop');
      const watch = await watchPatroni();
      const leader = before.find((m) => m.name === watch.leader);
      if (!leader) throw new Error(`Patroni's leader ${watch.leader} is not a member pod`);
      const alsoThere = before.filter((m) => m.node === leader.node && m !== leader).map((m) => m.name);
      const onNode = (await provider.kubectl.json<KubeList<PodObject>>(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${leader.node}`])).items
        .filter((p) => p.metadata.namespace !== 'kube-system' && p.status?.phase === 'Running' && p.metadata.name !== leader.name).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
      log(`stopping ${leader.node} (leader ${leader.name}${alsoThere.length ? `, also ${alsoThere.join(', ')}` : ''}; on it: ${onNode.join(', ')})`);
      let restarted = false;
      try {
        const r = await failover(s, {
          // The single-replica node stop's window (failover.node-stop): what is not back by then waits for the 300 s toleration.
          kind: 'node-stop', leader, watch, effectWithinMs: 150_000, recoverWithinMs: 130_000,
          notes: [
            ...before.map((m) => `${m.name}@${m.node} ${m.role}`),
            `also on ${leader.node}: ${onNode.join(', ') || 'nothing else'}`,
            'single-replica PostgreSQL on overlays/kind, same fault (failover.node-stop, issue #21): not back within the 130 s window, nothing rescheduled (the 300 s default NotReady toleration), pods.rto FAIL',
          ],
          fault: async () => {
            await provider.stopNode(leader.node, { waitNotReady: false });
            return `docker stop of node ${leader.node} (the leader's)`;
          },
        });
        const startedAt = hrNow();
        await provider.startNode(leader.node);
        restarted = true;
        await allMembersReady(`after ${leader.node} came back`);
        log(`node ${leader.node} back; all members Ready ${seconds(hrNow() - startedAt)} after its start`);
        expect(r.promoted, 'no replica was promoted while the leader\'s node was down').toBeDefined();
        expect(r.sqlRpo.ackedBeforeFault).toBeGreaterThanOrEqual(10);
      } finally {
        watch.stop();
        if (!restarted) await provider.startNode(leader.node).catch(() => undefined);
      }
    });
  }, 900_000);
});
