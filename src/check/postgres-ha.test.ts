/**
 * `prodlike check` on the PostgreSQL HA variant (kind/manifests/overlays/kind-ha: Patroni, 3 replicas, doc 001 §High
 * Availability 5) beside the single PostgreSQL of overlays/kind: the replicated StatefulSet gets no single-replica
 * finding, and the PDB rules still apply to it. Needs kubectl (kustomize); skips with the reason without it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { runCheck } from './check.ts';
import { findKubectl } from './load-manifests.ts';
import { CONFIG, profile } from './test-helpers.ts';

const overlays = join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays');
let skip: string | undefined;
try {
  await findKubectl();
} catch (error) {
  skip = error instanceof ProdlikeError ? error.message : String(error);
}

describe.skipIf(skip !== undefined)(`prodlike check on the PostgreSQL HA overlay${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const check = async (overlay: string, name: string) => runCheck({ manifestsPath: join(overlays, overlay), selected: await profile(name), config: CONFIG, baseDir: PACKAGE_ROOT });
  const postgresNames = (objects: { name: string }[]) => objects.map((o) => o.name).filter((n) => n.startsWith('postgres'));

  it('a replicated PostgreSQL (postgres-ha, 3 replicas) is not reported as a single replica; the single one of overlays/kind is', async () => {
    const [single, ha] = await Promise.all([check('kind', 'platform'), check('kind-ha', 'platform')]);
    const flagged = (r: typeof single) => r.findings.filter((f) => f.ruleId === 'single-replica-no-failover').flatMap((f) => postgresNames(f.objects));
    expect(flagged(single)).toContain('postgres');
    expect(flagged(ha)).toEqual([]);
  }, 60_000);

  it("the PDB rules apply to it: doc 001's postgres-pdb maxUnavailable 0 still blocks every eviction of the 3 members", async () => {
    const report = await check('kind-ha', 'onprem');
    const pdb = report.findings.filter((f) => f.objects.some((o) => o.name === 'postgres-pdb'));
    expect(pdb.length).toBeGreaterThan(0);
    const text = pdb.map((f) => f.message).join('\n');
    expect(text).toMatch(/postgres-ha/);
    expect(text).not.toMatch(/\(1 replica\)/);
  }, 60_000);

  it("the documented pg_dump CronJob still counts as the Spilo StatefulSet's backup (as for the single PostgreSQL)", async () => {
    const report = await check('kind-ha', 'onprem');
    const backup = report.findings.filter((f) => f.ruleId === 'backup-interval-exceeds-rpo' && f.objects.some((o) => o.name === 'postgres-ha'));
    expect(backup.map((f) => [f.severity, f.objects.map((o) => o.name)])).toEqual([['info', ['postgres-backup', 'postgres-ha']]]);
  }, 60_000);
});
