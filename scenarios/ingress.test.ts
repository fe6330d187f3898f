/**
 * Ingress suite (issue #20; kind only): the documented network edge, measured from this host as a user's client
 * sees it, through the ingress controller add-on (Traefik's Kubernetes Ingress NGINX provider serving the
 * manifests' Ingresses as written) on 127.0.0.1:<entry+6> (https) and 127.0.0.1:<entry+2> (http), with SNI and
 * Host set to the Ingress's TLS host:
 *   - TLS handshakes at TLS 1.3, 1.2 (accepted) and 1.1, 1.0 (refused): doc 001 §Security 4 ssl-protocols;
 *   - plain HTTP answers a redirect to https (doc 001 §1 ssl-redirect, §Security 4 force-ssl-redirect; ingress-nginx
 *     redirects with 308);
 *   - routing: each path of the host's Ingresses answers from its Service (/ -> the frontend's HTML, the health path
 *     under /api -> the backend's JSON), the path unchanged;
 *   - the rate limit from one client (doc 001 §Security 8 limit-rps, limit-burst-multiplier): a burst as fast as
 *     possible, then a steady rate above the limit; admitted vs rejected and the rejected status code.
 * Nothing is changed in the environment (no fault, no reset: `reset: false`); everything is read from the cluster
 * (the Ingress objects) and the configuration. The other suites' probes and load never take this path: they use
 * prodlike's NodePort access Services (127.0.0.1:<entry>, <entry+1>), which no rate limit applies to.
 */
import { Agent } from 'node:https';
import type { SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/core/wait.ts';
import type { KubeList, KubeObject } from '../src/kube/objects.ts';
import { burst, edgeGet, steady, tlsHandshake, TRAEFIK_LIMIT_STATUS, type HandshakeResult } from '../src/measure/edge-probe.ts';
import { evaluateTarget, type BoundedTarget, type Measurement, type Verdict } from '../src/measure/verdict.ts';
import { ingressHostPorts } from '../src/providers/kind/cluster-config.ts';
import { canKubernetes } from '../src/providers/provider.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { expectHeld, runScenario, showVerdicts } from './support/scenario-run.ts';

const log = (message: string) => process.stdout.write(`[ingress ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
const NGINX = 'nginx.ingress.kubernetes.io/';
const SECURITY_4 = { doc: '001', section: 'Security › 4. TLS/SSL Configuration' };
const SECURITY_8 = { doc: '001', section: 'Security › 8. Rate Limiting and DDoS Protection' };
const INGRESS_1 = { doc: '001', section: '1. Ingress Controller › Configuration' };
const BURST_REQUESTS = 100;
const STEADY_RPS = 20;
const STEADY_S = 5;

interface Route { ingress: string; namespace: string; path: string; service: string; annotations: Record<string, string> }
interface Edge { host: string; routes: Route[]; http: number; https: number }

async function missingPrerequisite(): Promise<string | undefined> {
  if ((process.env.PRODLIKE_PROVIDER ?? 'docker') !== 'kind') return 'the ingress controller is a kind add-on: run with PRODLIKE_PROVIDER=kind';
  return scenarioSkipReason('kind');
}
const skip = await missingPrerequisite();

/** The host of the first Ingress TLS entry and every path of the Ingresses serving it (from the cluster). */
function edgeOf(ingresses: KubeObject[], ports: { http: number; https: number }): Edge {
  type Spec = { tls?: Array<{ hosts?: string[] }>; rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend?: { service?: { name?: string } } }> } }> };
  const host = ingresses.flatMap((i) => (i.spec as Spec | undefined)?.tls ?? []).flatMap((t) => t.hosts ?? [])[0];
  if (!host) throw new Error(`no Ingress in the cluster has a TLS host (${ingresses.length} Ingresses): the ingress suite measures the documented https entry`);
  const routes = ingresses.flatMap((i) => ((i.spec as Spec | undefined)?.rules ?? []).filter((r) => r.host === host).flatMap((r) => (r.http?.paths ?? []).map((p) => ({
    ingress: i.metadata.name, namespace: i.metadata.namespace ?? 'default', path: p.path ?? '/', service: p.backend?.service?.name ?? '?', annotations: ((i.metadata as { annotations?: Record<string, string> }).annotations ?? {}),
  }))));
  return { host, routes, ...ports };
}

/** The route a request path takes: the longest Prefix path that matches it. */
const routeFor = (edge: Edge, path: string) => [...edge.routes].sort((a, b) => b.path.length - a.path.length).find((r) => path === r.path || path.startsWith(r.path.endsWith('/') ? r.path : `${r.path}/`));

describe.skipIf(Boolean(skip))(`ingress${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let edge: Edge;

  beforeAll(async () => {
    env = await startScenarioEnvironment('ingress', { reset: false });
    if (!canKubernetes(env.provider)) throw new Error(`${env.providerName} provider has no kubectl`);
    const ingresses = await env.provider.kubectl.json<KubeList<KubeObject>>(['get', 'ingress', '-A']);
    edge = edgeOf(ingresses.items, ingressHostPorts(env.config));
    log(`host ${edge.host}: https 127.0.0.1:${edge.https}, http 127.0.0.1:${edge.http}; routes ${edge.routes.map((r) => `${r.path} -> ${r.namespace}/${r.service}`).join(', ')}`);
    // The controller serves a new Ingress within a few seconds of seeing it: wait for the host's root to route.
    await waitFor(async () => ((await edgeGet({ scheme: 'https', port: edge.https, host: edge.host, path: '/' }).catch(() => undefined))?.status ?? 404) !== 404 || undefined,
      { timeoutMs: 60_000, intervalMs: 500, description: `the ingress controller to serve https://${edge.host}/ on 127.0.0.1:${edge.https}`, hint: 'Is the ingress add-on up? `kubectl -n prodlike-ingress get pods` with the environment\'s kubeconfig (`npx prodlike kubeconfig`).' });
  }, 900_000);

  afterAll(async () => {
    await env?.teardown();
  }, 600_000);

  it('TLS versions, the http -> https redirect, routing of / and /api, and the documented rate limit from one client (doc 001 §1, §Security 4 and 8)', async () => {
    await runScenario(env, { id: 'ingress.edge', title: `The documented edge at https://${edge.host} (ingress controller, 127.0.0.1:${edge.https})` }, async (s) => {
      const verdicts: Verdict[] = [];
      const notes: string[] = [];
      const judge = (target: Omit<BoundedTarget, 'component'>, m: Measurement, label: string) => verdicts.push(evaluateTarget({ component: 'ingress', ...target }, m, { sourceLabel: label }));

      // 1. TLS: each version alone, SNI = the documented host.
      const protocols = (edge.routes.find((r) => r.annotations[`${NGINX}ssl-protocols`])?.annotations[`${NGINX}ssl-protocols`] ?? 'TLSv1.2 TLSv1.3').split(/\s+/);
      const handshakes: HandshakeResult[] = [];
      for (const version of ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'] as SecureVersion[]) {
        const h = await tlsHandshake({ host: '127.0.0.1', port: edge.https, servername: edge.host, version });
        handshakes.push(h);
        const allowed = protocols.includes(version);
        log(`TLS ${version}: ${h.accepted ? `accepted (${h.protocol})` : `refused (${h.error})`}${h.clientCannotOffer ? ' [this client cannot offer it]' : ''}`);
        judge({ id: `ingress.tls.${version}`, metric: allowed ? 'handshake accepted' : 'handshake refused', unit: 'bool', ...(allowed ? { minValue: 1 } : { maxValue: 0 }), source: { ...SECURITY_4, quote: `ssl-protocols: "${protocols.join(' ')}"` } },
          h.clientCannotOffer ? { skipped: `this Node's OpenSSL cannot offer ${version} (${h.error}): the server's answer is not measured` } : { value: h.accepted ? 1 : 0, note: h.accepted ? h.protocol : h.error },
          `doc 001 §Security 4 ssl-protocols (${allowed ? 'listed' : 'not listed'})`);
      }
      const cert = handshakes.find((h) => h.certificate)?.certificate;
      if (cert) notes.push(`certificate served for SNI ${edge.host}: subject ${cert.subject}; ${cert.subjectAltName}; issuer ${cert.issuer}${cert.selfSigned ? ' (self-signed: the one prodlike made for the Ingress TLS Secret)' : ''}`);

      // 2. Plain HTTP: the redirect.
      const plain = await edgeGet({ scheme: 'http', port: edge.http, host: edge.host, path: '/' });
      const location = String(plain.headers.location ?? '');
      log(`http://${edge.host}/ -> ${plain.status} Location ${location || '(none)'}`);
      judge({ id: 'ingress.redirect.status', metric: 'status code', unit: 'HTTP status', minValue: 308, maxValue: 308, source: { ...INGRESS_1, quote: 'nginx.ingress.kubernetes.io/ssl-redirect: "true"' } }, { value: plain.status },
        'doc 001 §1 ssl-redirect / §Security 4 force-ssl-redirect (ingress-nginx redirects with 308)');
      judge({ id: 'ingress.redirect.location', metric: 'Location is https on the same host', unit: 'bool', minValue: 1, source: { ...SECURITY_4, quote: 'force-ssl-redirect: "true"' } }, { value: location.startsWith(`https://${edge.host}/`) ? 1 : 0, note: location || 'no Location header' },
        'doc 001 §Security 4 force-ssl-redirect');

      // 3. Routing over https: the host's root and the application's health path (under /api for document 001).
      const agent = new Agent({ keepAlive: true, maxSockets: 20 });
      s.use({ [Symbol.asyncDispose]: async () => agent.destroy() });
      const get = (path: string) => edgeGet({ scheme: 'https', port: edge.https, host: edge.host, path, agent });
      for (const path of [...new Set(['/', env.config.application.health])]) {
        const route = routeFor(edge, path);
        const r = await get(path);
        const type = String(r.headers['content-type'] ?? '');
        log(`https://${edge.host}${path} -> ${r.status} ${type} (route ${route ? `${route.path} -> ${route.namespace}/${route.service}` : 'none'})`);
        judge({ id: `ingress.route.${path}`, metric: `answers 2xx via ${route ? `${route.path} -> ${route.service}` : 'no route'}`, unit: 'bool', minValue: 1, source: { ...INGRESS_1, quote: route ? `path: ${route.path} -> ${route.service}` : 'no route' } },
          { value: route && r.status >= 200 && r.status < 300 ? 1 : 0, note: `${r.status} ${type}: ${r.body.slice(0, 60).replace(/\s+/g, ' ')}` }, `doc 001 §1 Ingress paths (Ingress ${route?.namespace}/${route?.ingress})`);
      }

      // 4. The rate limit, on the route of the health path (the API): full bucket first, then a burst, then a steady rate above it.
      const limited = routeFor(edge, env.config.application.health);
      const rps = Number(limited?.annotations[`${NGINX}limit-rps`] ?? NaN);
      const multiplier = Number(limited?.annotations[`${NGINX}limit-burst-multiplier`] ?? 5); // ingress-nginx's default multiplier
      if (!limited || !Number.isFinite(rps)) {
        judge({ id: 'ingress.rate-limit.rps', metric: 'admitted rate', unit: 'req/s', source: { ...SECURITY_8, quote: 'limit-rps' } }, { skipped: `the Ingress routing ${env.config.application.health} has no ${NGINX}limit-rps annotation` }, 'doc 001 §Security 8');
      } else {
        const burstSize = rps * multiplier;
        await new Promise((r) => setTimeout(r, Math.ceil((burstSize / rps) * 1000) + 1000)); // refill: the routing requests above used a few tokens
        const path = env.config.application.health;
        const b = await burst(() => get(path), { count: BURST_REQUESTS, concurrency: 20 });
        const st = await steady(() => get(path), { rate: STEADY_RPS, seconds: STEADY_S });
        // Over the window the requests were offered in (a loaded host sends late: 65 admitted over a 6.5 s window is 10/s, not 13).
        const steadyRps = st.admitted / (st.offeredMs / 1000);
        const expectedBurstMax = Math.ceil(burstSize + rps * (b.ms / 1000)) + 2;
        log(`burst: ${b.sent} requests in ${b.ms} ms -> ${b.admitted} admitted, ${b.rejected} rejected ${JSON.stringify(b.statuses)}`);
        log(`steady ${STEADY_RPS} req/s for ${STEADY_S} s (offered over ${(st.offeredMs / 1000).toFixed(2)} s): ${st.admitted} admitted (${steadyRps.toFixed(1)} req/s), ${st.rejected} rejected ${JSON.stringify(st.statuses)}`);
        const quote = `limit-rps: "${rps}" # ${rps} req/sec per IP; limit-burst-multiplier: "${multiplier}"`;
        judge({ id: 'ingress.rate-limit.burst', metric: `admitted of ${BURST_REQUESTS} sent at once`, unit: 'requests', minValue: burstSize, maxValue: expectedBurstMax, source: { ...SECURITY_8, quote } },
          { value: b.admitted, note: `burst ${burstSize} (= ${rps} x ${multiplier}) plus ${rps}/s refilled during the ${b.ms} ms it took; ${b.errors} without an answer` }, 'doc 001 §Security 8 (burst = limit-rps x limit-burst-multiplier)');
        judge({ id: 'ingress.rate-limit.rps', metric: `admitted rate at ${STEADY_RPS} req/s offered`, unit: 'req/s', minValue: rps * 0.8, maxValue: rps * 1.2, source: { ...SECURITY_8, quote } },
          { value: Number(steadyRps.toFixed(2)), note: `${st.admitted}/${st.sent} admitted over the ${(st.offeredMs / 1000).toFixed(2)} s they were offered in (nominal ${STEADY_S} s), right after the burst (bucket empty); ±20 % allows for a token or two refilled between the burst and the first request` }, 'doc 001 §Security 8 limit-rps');
        const rejected = b.rejected + st.rejected;
        const other = Object.entries({ ...b.statuses }).filter(([k]) => !/^2/.test(k) && k !== String(TRAEFIK_LIMIT_STATUS)).map(([k, n]) => `${n + (st.statuses[k] ?? 0)}x ${k}`);
        judge({ id: 'ingress.rate-limit.rejected-status', metric: `status of the ${rejected} rejected requests`, unit: 'HTTP status', kind: 'report', source: { ...SECURITY_8, quote } },
          rejected ? { value: TRAEFIK_LIMIT_STATUS, note: `ingress-nginx refuses with its limit-req-status-code, default 503; Traefik with 429: a client or load test that treats 503 and 429 differently (retry, alerting on 5xx) behaves differently than in production${other.length ? `; let through but answered non-2xx by the backend under the burst: ${other.join(', ')}` : ''}` } : { skipped: 'no request was rejected' },
          'ingress-nginx limit-req-status-code default 503 (doc 001 names ingress-nginx)');
        const rejectedStatus = rejected ? String(TRAEFIK_LIMIT_STATUS) : 'none';
        const share = Math.max(0, 1 - steadyRps / 1000);
        notes.push(`finding (document 003 "Process 1,000+ requests per second"): from one client address this entry admits ${steadyRps.toFixed(1)} req/s per Ingress after a burst of ${b.admitted}; a load test of 1000 req/s from one load generator through the ingress would see ${(share * 100).toFixed(1)} % of its requests rejected (${rejectedStatus}), measuring the rate limit, not the application. prodlike's load and probes (hpa, execution-load, failover) use the NodePort access Services (prodlike-access-<role>, 127.0.0.1:<entry>/<entry+1>) and never this entry; a production load test must come from many addresses or be exempted (limit-whitelist).`);
        notes.push(`rate limit per Ingress: each of the host's Ingresses (${[...new Set(edge.routes.map((r) => `${r.namespace}/${r.ingress}`))].join(', ')}) has its own limiter (ingress-nginx keeps one zone per Ingress too), so "/" and "/api" are limited separately.`);
        notes.push(`rate-limit "100" (doc 001 §1) is not an ingress-nginx annotation: it has no effect there or here (\`prodlike check\`: ingress-annotation-ineffective). ssl-protocols is a ConfigMap key of ingress-nginx, not an annotation; the TLS versions above come from prodlike's Traefik TLS option (TLSv1.2-1.3, ingress-nginx's default).`);
      }
      notes.push(`client: this host, 127.0.0.1:${edge.https}/${edge.http} with SNI and Host ${edge.host} (certificate not verified: self-signed); controller: Traefik (Kubernetes Ingress NGINX provider) standing in for the retired ingress-nginx that doc 001 names`);
      await s.record({ suite: 'ingress', verdicts, notes });
      showVerdicts(verdicts);
      for (const n of notes) log(n);
      expectHeld(verdicts);
    });
    expect(true).toBe(true);
  }, 180_000);
});
