import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../core/exec.ts';
import type { KubeObject } from '../../kube/objects.ts';

/**
 * The TLS Secrets the rendered Ingresses name (`spec.tls[].secretName`) and the manifests do not provide: prodlike
 * makes a self-signed certificate for the hosts listed with it, one per Secret and namespace, kept in the
 * environment's state directory (the same certificate on every `up`/`reset` of the environment) and labelled as
 * prodlike's. Names and hosts come from the rendered objects only.
 */

export interface IngressTlsNeed {
  namespace: string;
  secretName: string;
  hosts: string[];
  /** The Ingresses (namespace/name) naming this Secret. */
  ingresses: string[];
}

interface IngressTlsSpec { tls?: Array<{ hosts?: unknown; secretName?: unknown }> }

/** Per namespace and Secret name, the hosts of every Ingress TLS entry naming a Secret the manifests do not contain. */
export function ingressTlsNeeds(rendered: readonly KubeObject[]): IngressTlsNeed[] {
  const provided = new Set(rendered.filter((o) => o.kind === 'Secret').map((o) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`));
  const needs = new Map<string, IngressTlsNeed>();
  for (const ing of rendered.filter((o) => o.kind === 'Ingress')) {
    const namespace = ing.metadata.namespace ?? 'default';
    for (const entry of (ing.spec as IngressTlsSpec | undefined)?.tls ?? []) {
      if (typeof entry.secretName !== 'string' || !entry.secretName) continue; // no secret: the controller's default certificate
      const key = `${namespace}/${entry.secretName}`;
      if (provided.has(key)) continue;
      const need = needs.get(key) ?? { namespace, secretName: entry.secretName, hosts: [], ingresses: [] };
      for (const h of Array.isArray(entry.hosts) ? entry.hosts : []) if (typeof h === 'string' && !need.hosts.includes(h)) need.hosts.push(h);
      const ref = `${namespace}/${ing.metadata.name}`;
      if (!need.ingresses.includes(ref)) need.ingresses.push(ref);
      needs.set(key, need);
    }
  }
  return [...needs.values()].map((n) => ({ ...n, hosts: n.hosts.sort() }));
}

/**
 * A self-signed certificate (RSA 2048, 825 days, subjectAltName = the hosts) made with `openssl`, cached in `dir`
 * under the hosts' names: the same hosts reuse the same key and certificate.
 */
export async function selfSignedCertificate(dir: string, hosts: readonly string[]): Promise<{ cert: string; key: string }> {
  const names = hosts.length ? [...hosts] : ['localhost'];
  const base = join(dir, names.join('_').replace(/[^A-Za-z0-9._-]/g, '_'));
  const certFile = `${base}.crt`;
  const keyFile = `${base}.key`;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '825', '-keyout', keyFile, '-out', certFile,
      '-subj', `/O=prodlike (self-signed, local)/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((h) => `DNS:${h}`).join(',')}`], {
      timeoutMs: 30_000, missingHint: 'Install openssl (apt-get install -y openssl): prodlike makes the Ingress TLS certificates with it.',
    });
  }
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

/** The kubernetes.io/tls Secrets for `needs`, with certificates cached under `stateDir`/ingress-tls. */
export async function ingressTlsSecrets(needs: readonly IngressTlsNeed[], stateDir: string): Promise<object[]> {
  const dir = join(stateDir, 'ingress-tls');
  const secrets: object[] = [];
  for (const need of needs) {
    const { cert, key } = await selfSignedCertificate(dir, need.hosts);
    secrets.push({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: need.secretName,
        namespace: need.namespace,
        labels: { 'app.kubernetes.io/part-of': 'prodlike', 'app.kubernetes.io/managed-by': 'prodlike' },
        annotations: { 'io.prodlike/self-signed-for': need.hosts.join(','), 'io.prodlike/ingresses': need.ingresses.join(',') },
      },
      stringData: { 'tls.crt': cert, 'tls.key': key },
    });
  }
  await writeFile(join(dir, 'README'), 'Self-signed certificates prodlike made for the Ingress TLS Secrets of this environment (never for production).\n').catch(() => undefined);
  return secrets;
}
