import { describe, expect, it } from 'vitest';
import { runRule, testProfile } from '../test-helpers.ts';
import { ingressAnnotationUnknownRule, ingressNginxRetiredRule, INGRESS_NGINX_ANNOTATIONS } from './ingress.ts';

const ingress = (options: { name?: string; className?: string; annotations?: Record<string, string>; legacyClass?: string }) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${options.name ?? 'web'}
  namespace: app
  annotations:
${Object.entries({ ...(options.legacyClass ? { 'kubernetes.io/ingress.class': options.legacyClass } : {}), ...options.annotations }).map(([k, v]) => `    ${k}: "${v}"`).join('\n') || '    {}'}
spec:
${options.className ? `  ingressClassName: ${options.className}\n` : ''}  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: web, port: { number: 80 } } }
`;
const sel = testProfile({});

describe('ingress-controller-nginx-retired', () => {
  it('warns once for every Ingress of class nginx (spec or the legacy annotation), quoting document 001', () => {
    const f = runRule(ingressNginxRetiredRule, ingress({ className: 'nginx' }) + ingress({ name: 'old', legacyClass: 'nginx' }), sel);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', details: { ingressClass: 'nginx', documented: 'doc 001 §1 Ingress Controller' } });
    expect(f[0]!.objects.map((o) => o.name)).toEqual(['web', 'old']);
    expect(f[0]!.message).toMatch(/retired by Kubernetes SIG Network in March 2026/);
  });
  it('says nothing for another class', () => {
    expect(runRule(ingressNginxRetiredRule, ingress({ className: 'traefik' }), sel)).toEqual([]);
  });
});

describe('ingress-annotation-ineffective', () => {
  it('flags rate-limit (not an annotation) with the real ones, and ssl-protocols as a ConfigMap key', () => {
    const f = runRule(ingressAnnotationUnknownRule, ingress({ className: 'nginx', annotations: {
      'nginx.ingress.kubernetes.io/rate-limit': '100',
      'nginx.ingress.kubernetes.io/limit-rps': '10',
      'nginx.ingress.kubernetes.io/limit-burst-multiplier': '5',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/ssl-protocols': 'TLSv1.2 TLSv1.3',
    } }), sel);
    expect(f.map((x) => x.details)).toEqual([
      { annotation: 'nginx.ingress.kubernetes.io/rate-limit', value: '100', kind: 'unknown' },
      { annotation: 'nginx.ingress.kubernetes.io/ssl-protocols', value: 'TLSv1.2 TLSv1.3', kind: 'configmap-key' },
    ]);
    expect(f[0]!.message).toMatch(/limit-rps, limit-rpm or limit-connections/);
    expect(f[1]!.message).toMatch(/ConfigMap.*TLSv1\.2 TLSv1\.3/);
  });
  it('ignores other prefixes and Ingresses another controller serves', () => {
    expect(runRule(ingressAnnotationUnknownRule, ingress({ className: 'nginx', annotations: { 'cert-manager.io/cluster-issuer': 'x' } }), sel)).toEqual([]);
    expect(runRule(ingressAnnotationUnknownRule, ingress({ className: 'other', annotations: { 'nginx.ingress.kubernetes.io/rate-limit': '1' } }), sel)).toEqual([]);
  });
  it('knows the rate-limiting annotations of the user guide', () => {
    for (const a of ['limit-rps', 'limit-rpm', 'limit-connections', 'limit-burst-multiplier', 'global-rate-limit']) expect(INGRESS_NGINX_ANNOTATIONS.has(a), a).toBe(true);
    expect(INGRESS_NGINX_ANNOTATIONS.has('rate-limit')).toBe(false);
  });
});
