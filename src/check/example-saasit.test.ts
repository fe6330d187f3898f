/**
 * `prodlike check` on examples/saasit (document 000's application, issue #16): its own prodlike.yaml loads
 * with paths relative to the file; document 000's real problems are reported on the base as written; the
 * kind overlay fixes the ones that stop it from running and leaves only the deliberate differences.
 * Needs kubectl (kustomize); skips with the reason without it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveFrom, type LoadedConfig } from '../config/load-config.ts';
import { loadTargets, selectProfile } from '../config/load-targets.ts';
import { resolveWorkload } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { runCheck, type CheckReport } from './check.ts';
import { findKubectl } from './load-manifests.ts';

const EXAMPLE = join(PACKAGE_ROOT, 'examples', 'saasit');

let skip: string | undefined;
try {
  await findKubectl();
} catch (error) {
  skip = error instanceof ProdlikeError ? error.message : String(error);
}

/** Document 000's own profile (`execution`) unless another is named; the example's default is onprem (document 001's DR plan). */
async function check(loaded: LoadedConfig, manifests: string, profile = 'execution'): Promise<CheckReport> {
  const selected = selectProfile(await loadTargets(resolveFrom(loaded, loaded.config.targets.file)), profile);
  return runCheck({ manifestsPath: manifests, selected, config: loaded.config, baseDir: loaded.baseDir });
}

const summary = (r: CheckReport) => r.findings.map((f) => `${f.severity} ${f.ruleId} ${f.objects.map((o) => `${o.kind}/${o.name}`).join(',')}`);

describe('examples/saasit/prodlike.yaml', () => {
  it("names document 000's objects and resolves its paths from its own directory", async () => {
    const loaded = await loadConfig({ file: join(EXAMPLE, 'prodlike.yaml') });
    expect(loaded.config.name).toBe('saasit');
    expect(resolveFrom(loaded, loaded.config.manifests)).toBe(join(EXAMPLE, 'manifests', 'overlays', 'kind'));
    expect(resolveFrom(loaded, loaded.config.targets.file)).toBe(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'));
    expect(resolveWorkload(loaded.config, 'backend')).toMatchObject({ namespace: 'saasit-production', workload: 'deployment/backend-api', service: 'backend-service', port: 3001 });
    expect(loaded.config.executions.namespace).toBe('saasit-executions');
    // document 000's Secrets, made by prodlike with the stand-ins' credentials
    expect(loaded.config.secrets['database-secret']?.url).toBe('postgresql://${postgres.user}:${postgres.password}@postgres-service.saasit-production.svc.cluster.local:5432/${postgres.database}');
    expect(Object.keys(loaded.config.secrets).sort()).toEqual(['anthropic-secret', 'backend-secrets', 'database-secret', 'jwt-secret', 'redis-secret']);
    // the object store's credentials are the team's own (the overlay's committed dev Secret), read, not generated
    expect(loaded.config.credentials).toEqual({ 'minio.accessKey': { secret: 'minio-secret', key: 'MINIO_ROOT_USER' }, 'minio.secretKey': { secret: 'minio-secret', key: 'MINIO_ROOT_PASSWORD' } });
  });
});

describe.skipIf(skip !== undefined)(`prodlike check on examples/saasit${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it("reports document 000's own problems on the base as written", async () => {
    const loaded = await loadConfig({ file: join(EXAMPLE, 'prodlike.yaml') });
    const r = await check(loaded, join(EXAMPLE, 'manifests', 'base'));
    const s = summary(r);
    // The backend's NetworkPolicy: no DNS, no object store (errors), no ingress controller (warnings).
    expect(r.findings.filter((f) => f.ruleId === 'network-policy-blocks-dependency' && f.severity === 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/backend-api \(saasit-production\) -> kube-dns \(kube-system\) port 53\/UDP is blocked/),
      expect.stringMatching(/backend-api \(saasit-production\) -> minio \(saasit-production\) port 9000\/TCP is blocked/),
    ]);
    // backend-role grants the Job verbs in saasit-production; the template creates Jobs in saasit-executions.
    expect(s).toContain('error rbac-missing-permission Deployment/backend-api,ConfigMap/execution-job-template');
    for (const name of ['backend-api', 'frontend']) expect(s).toContain(`warning image-unpinned Deployment/${name}`);
    expect(s).toContain('warning image-unpinned ConfigMap/execution-job-template');
    expect(r.summary.exitCode).toBe(1);
  }, 60_000);

  it('on the kind overlay: no manifest error left, only the documented HPA bounds it lowers and what needs an ingress controller; the alert rules (issue #21)', async () => {
    const loaded = await loadConfig({ file: join(EXAMPLE, 'prodlike.yaml') });
    const r = await check(loaded, resolveFrom(loaded, loaded.config.manifests));
    // The only errors are alert rules that can never fire: document 000's HighErrorRate selects status=~"5.." where the
    // app's label is status_code (document 003), and the rule broken on purpose (a wrong job).
    expect(summary(r).filter((x) => x.startsWith('error'))).toEqual([
      'error alert-rule-matches-no-series AlertingRule/HighErrorRate',
      'error alert-rule-matches-no-series AlertingRule/RedisDownWrongJob',
    ]);
    expect(summary(r).filter((x) => x.startsWith('warning')).sort()).toEqual([
      // document 001's PodCrashLooping pages on one restart; its HighPodMemory and document 000's PodMemoryUsage divide by a limit kube-system does not set
      'warning alert-rule-divides-by-unset-limit AlertingRule/HighPodMemory',
      'warning alert-rule-divides-by-unset-limit AlertingRule/PodMemoryUsage',
      'warning alert-rule-fires-on-one-restart AlertingRule/PodCrashLooping',
      'warning hpa-differs-from-document HorizontalPodAutoscaler/backend-hpa,Deployment/backend-api',
      'warning hpa-differs-from-document HorizontalPodAutoscaler/frontend-hpa,Deployment/frontend',
      // document 000's Ingress: rate-limit "100" is no ingress-nginx annotation; class nginx is the retired controller (issue #20)
      'warning ingress-annotation-ineffective Ingress/saasit-ingress',
      'warning ingress-controller-nginx-retired Ingress/saasit-ingress',
      'warning network-policy-blocks-dependency NetworkPolicy/backend-network-policy,Deployment/backend-api',
      'warning network-policy-blocks-dependency NetworkPolicy/backend-network-policy,Deployment/backend-api',
    ]);
  }, 60_000);

  it("against document 001's DR plan (the example's profile): no error; the PDBs document 000 lacks and MinIO's backup interval are reported", async () => {
    const loaded = await loadConfig({ file: join(EXAMPLE, 'prodlike.yaml') });
    expect(loaded.config.targets.profile).toBe('onprem');
    const r = await check(loaded, resolveFrom(loaded, loaded.config.manifests), loaded.config.targets.profile);
    expect(r.findings.filter((f) => f.severity === 'error' && !f.ruleId.startsWith('alert-rule-'))).toEqual([]);
    const s = summary(r);
    // the primary's stand-in and document 000's read replica (base/postgres-replica.yaml): one finding, no PDB selects either
    for (const o of ['Deployment/backend-api', 'Deployment/frontend', 'StatefulSet/postgres,StatefulSet/postgres-replica']) expect(s).toContain(`warning pdb-differs-from-document ${o}`);
    expect(s).toContain('warning backup-interval-exceeds-rpo StatefulSet/minio');
  }, 60_000);
});
