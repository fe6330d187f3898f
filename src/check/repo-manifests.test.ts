/**
 * `prodlike check` on the repository's own manifests (kind/manifests/overlays/kind, else base): the
 * document 001 flaws the manifests keep on purpose must be reported with their document references.
 * Needs kubectl (kustomize); skips with the reason without it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { runCheck, type CheckReport } from './check.ts';
import { findKubectl } from './load-manifests.ts';
import { CONFIG, profile } from './test-helpers.ts';

const overlay = join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind');
const base = join(PACKAGE_ROOT, 'kind', 'manifests', 'base');
const dir = existsSync(join(overlay, 'kustomization.yaml')) ? overlay : existsSync(join(base, 'kustomization.yaml')) ? base : undefined;

let skip: string | undefined = dir ? undefined : 'kind/manifests has no kustomization yet';
if (!skip) {
  try {
    await findKubectl();
  } catch (error) {
    skip = error instanceof ProdlikeError ? error.message : String(error);
  }
}

describe.skipIf(skip !== undefined)(`prodlike check on the repository's manifests${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let report: CheckReport;
  const get = async () => (report ??= await runCheck({ manifestsPath: dir!, selected: await profile('onprem'), config: CONFIG, baseDir: PACKAGE_ROOT }));

  it("reports document 001's backend PDB minAvailable 2 = HPA minReplicas 2, citing both sections", async () => {
    const f = (await get()).findings.find((x) => x.ruleId === 'pdb-min-available-blocks-eviction' && x.objects[0]?.name === 'backend-pdb');
    expect(f?.severity).toBe('error');
    expect(f?.targets.map((t) => `${t.source.doc} §${t.source.section}`)).toEqual([
      '001 §High Availability › 3. Pod Disruption Budgets',
      '001 §Scalability Strategy › 1. Horizontal Pod Autoscaling › Backend HPA',
    ]);
    expect(f?.objects[0]?.location?.file).toBe('kind/manifests/base/backend.yaml');
  }, 60_000);

  it("reports document 001's PostgreSQL PDB maxUnavailable 0 on a single replica", async () => {
    const f = (await get()).findings.find((x) => x.ruleId === 'pdb-max-unavailable-zero' && x.objects[0]?.name === 'postgres-pdb');
    expect(f?.severity).toBe('error');
    expect(f?.targets[0]?.source).toMatchObject({ doc: '001', section: 'High Availability › 3. Pod Disruption Budgets' });
    expect(f?.message).toMatch(/StatefulSet app-backend\/postgres \(1 replica\)/);
  }, 60_000);

  it('blocks no documented dependency between its own pods, and every finding says where and how to fix it', async () => {
    const r = await get();
    expect(r.findings.filter((f) => f.ruleId === 'network-policy-blocks-dependency' && f.severity === 'error')).toEqual([]);
    for (const f of r.findings) {
      expect(f.hint.length).toBeGreaterThan(10);
      expect(f.objects.length).toBeGreaterThan(0);
    }
    expect(r.summary.exitCode).toBe(1);
  }, 60_000);
});
