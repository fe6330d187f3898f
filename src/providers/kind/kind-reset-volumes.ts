import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1PersistentVolume, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { run } from '../../core/exec.ts';
import type { KubeObject } from '../../kube/objects.ts';

/**
 * A reset's data volumes without the local-path provisioner: a claim the re-applied manifests would create
 * again with the same spec keeps its PersistentVolume, and the volume's directory on its node is replaced
 * by a new empty one — what the provisioner would give a new claim (`mkdir -m 0777`), without its two
 * helper pods per volume (teardown of the old, setup of the new: 7-9 s on the reset's critical path,
 * before any data store could be scheduled). The data is gone as with a new volume: the data stores start
 * from their seed. Anything else (a claim the manifests do not make, another spec, another provisioner, a
 * volume not Bound) is deleted with its namespace's contents as before.
 */

/** Where kind's local-path provisioner (its default config) puts the volumes on a node. */
export const LOCAL_PATH_DIR = '/var/local-path-provisioner/';
const PROVISIONER = 'rancher.io/local-path';

/** A claim the reset keeps, and its volume's directory on its node. */
export interface KeptVolume {
  namespace: string;
  claim: string;
  node: string;
  path: string;
}

interface ClaimSpec {
  storageClassName?: string | undefined;
  storage?: string | undefined;
  accessModes?: string[] | undefined;
}

interface ClaimTemplate {
  metadata?: { name?: string };
  spec?: { storageClassName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } } };
}

const specOf = (t: ClaimTemplate): ClaimSpec => ({ storageClassName: t.spec?.storageClassName, storage: t.spec?.resources?.requests?.storage, accessModes: t.spec?.accessModes });

/**
 * The claims the rendered manifests (re)create, by `namespace/name`: their PersistentVolumeClaims, and the
 * claims of their StatefulSets' volumeClaimTemplates (`<template>-<statefulset>-<ordinal>`, ordinal < replicas).
 */
export function expectedClaims(objects: readonly KubeObject[]): Map<string, ClaimSpec> {
  const claims = new Map<string, ClaimSpec>();
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? 'default';
    if (o.kind === 'PersistentVolumeClaim') claims.set(`${namespace}/${o.metadata.name}`, specOf(o as unknown as ClaimTemplate));
    if (o.kind !== 'StatefulSet') continue;
    const replicas = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
    for (const template of (o.spec?.volumeClaimTemplates as ClaimTemplate[] | undefined) ?? []) {
      for (let i = 0; i < replicas; i++) claims.set(`${namespace}/${template.metadata?.name ?? ''}-${o.metadata.name}-${i}`, specOf(template));
    }
  }
  return claims;
}

const sameModes = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && a.every((m) => b.includes(m));

/** The node a local-path volume is pinned to (its required node affinity on the hostname), when there is exactly one. */
function pinnedNode(pv: V1PersistentVolume): string | undefined {
  const values = (pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []).flatMap((t) => (t.matchExpressions ?? []).filter((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'In').flatMap((e) => e.values ?? []));
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The claims of `namespaces` a reset can keep: expected by the manifests with the same spec (the manifest's
 * class, size and access modes where it names them), Bound and not being deleted, to a local-path volume (reclaim
 * Delete, Bound to that very claim) whose directory is one entry under LOCAL_PATH_DIR on one of `nodes`.
 */
export function reusableVolumes(input: { expected: ReadonlyMap<string, ClaimSpec>; claims: readonly V1PersistentVolumeClaim[]; volumes: readonly V1PersistentVolume[]; nodes: readonly string[]; namespaces: readonly string[] }): KeptVolume[] {
  const kept: KeptVolume[] = [];
  for (const pvc of input.claims) {
    const namespace = pvc.metadata?.namespace ?? '';
    const claim = pvc.metadata?.name ?? '';
    const want = input.expected.get(`${namespace}/${claim}`);
    if (!want || !input.namespaces.includes(namespace) || pvc.metadata?.deletionTimestamp || pvc.status?.phase !== 'Bound') continue;
    if (want.storageClassName !== undefined && want.storageClassName !== pvc.spec?.storageClassName) continue;
    if (want.storage !== undefined && want.storage !== pvc.spec?.resources?.requests?.storage) continue;
    if (want.accessModes !== undefined && !sameModes(want.accessModes, pvc.spec?.accessModes)) continue;
    const pv = input.volumes.find((v) => v.metadata?.name === pvc.spec?.volumeName);
    if (!pv || pv.metadata?.deletionTimestamp || pv.status?.phase !== 'Bound' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') continue;
    if (pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) continue;
    if (pv.spec?.claimRef?.uid !== pvc.metadata?.uid) continue;
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path ?? '';
    const entry = path.slice(LOCAL_PATH_DIR.length);
    if (!path.startsWith(LOCAL_PATH_DIR) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(entry)) continue;
    const node = pinnedNode(pv);
    if (!node || !input.nodes.includes(node)) continue;
    kept.push({ namespace, claim, node, path });
  }
  return kept.sort((a, b) => `${a.namespace}/${a.claim}`.localeCompare(`${b.namespace}/${b.claim}`));
}

/** The claims and volumes reusableVolumes reads, through the API client. */
export async function listVolumes(kubeConfig: KubeConfig): Promise<{ claims: V1PersistentVolumeClaim[]; volumes: V1PersistentVolume[] }> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const [claims, volumes] = await Promise.all([core.listPersistentVolumeClaimForAllNamespaces(), core.listPersistentVolume()]);
  return { claims: claims.items, volumes: volumes.items };
}

/**
 * The shell script (one `docker exec` per node, the paths as its arguments) that gives each directory a new
 * empty one: the old one is renamed first (a container of a deleted pod still stopping keeps writing into
 * the renamed directory, never into the new one), the new one is made as the provisioner makes it, and
 * the old one removed, with those an earlier reset could not remove.
 */
export function freshDirScript(suffix: string): string {
  return [
    'set -eu',
    'for d in "$@"; do',
    '  for old in "$d".prodlike-old-*; do [ -e "$old" ] && rm -rf "$old" || true; done',
    `  if [ -e "$d" ]; then mv "$d" "$d.prodlike-old-${suffix}"; fi`,
    '  mkdir -m 0777 "$d"',
    `  rm -rf "$d.prodlike-old-${suffix}" || true`,
    'done',
  ].join('\n');
}

/** New empty directories for the kept volumes, per node at once (run once no pod uses them any more). */
export async function freshVolumeDirs(kept: readonly KeptVolume[], signal?: AbortSignal): Promise<void> {
  const byNode = new Map<string, string[]>();
  for (const v of kept) byNode.set(v.node, [...(byNode.get(v.node) ?? []), v.path]);
  const suffix = randomBytes(4).toString('hex');
  await Promise.all([...byNode].map(([node, paths]) => run('docker', ['exec', node, 'sh', '-c', freshDirScript(suffix), 'sh', ...paths], { timeoutMs: 60_000, ...(signal ? { signal } : {}) })));
}
