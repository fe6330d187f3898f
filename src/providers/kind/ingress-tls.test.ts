import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects.ts';
import { ingressTlsNeeds, ingressTlsSecrets } from './ingress-tls.ts';

const ing = (namespace: string, tls: unknown[]): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace }, spec: { tls } });

describe('ingress TLS secrets', () => {
  it('one per namespace and secretName with the hosts of every entry naming it; none for Secrets the manifests hold or entries without one', () => {
    const needs = ingressTlsNeeds([
      ing('a', [{ hosts: ['b.example.com'], secretName: 'tls' }, { hosts: ['a.example.com'], secretName: 'tls' }, { hosts: ['x.example.com'] }]),
      ing('b', [{ hosts: ['a.example.com'], secretName: 'tls' }, { hosts: ['own.example.com'], secretName: 'own' }]),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'own', namespace: 'b' } },
    ]);
    expect(needs).toEqual([
      { namespace: 'a', secretName: 'tls', hosts: ['a.example.com', 'b.example.com'], ingresses: ['a/web'] },
      { namespace: 'b', secretName: 'tls', hosts: ['a.example.com'], ingresses: ['b/web'] },
    ]);
  });

  it('makes a self-signed kubernetes.io/tls Secret for the hosts (openssl), labelled as prodlike\'s, the same on the next call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-tls-'));
    try {
      const need = { namespace: 'app', secretName: 'tls-secret', hosts: ['app.example.com'], ingresses: ['app/web'] };
      const [first] = await ingressTlsSecrets([need], dir) as Array<{ type: string; metadata: { labels: Record<string, string> }; stringData: Record<string, string> }>;
      expect(first!.type).toBe('kubernetes.io/tls');
      expect(first!.metadata.labels['app.kubernetes.io/managed-by']).toBe('prodlike');
      const cert = new X509Certificate(first!.stringData['tls.crt']!);
      expect(cert.subjectAltName).toBe('DNS:app.example.com');
      expect(cert.checkHost('app.example.com')).toBe('app.example.com');
      expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
      const [again] = await ingressTlsSecrets([need], dir) as Array<{ stringData: Record<string, string> }>;
      expect(again!.stringData['tls.crt']).toBe(first!.stringData['tls.crt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
