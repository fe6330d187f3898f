import type { ReplicaStatus } from '../../src/providers/provider.ts';

/** The replicas of a workload at one moment, by id: what a restart comparison needs. */
export type ReplicaRestarts = ReadonlyMap<string, { name: string; restarts: number }>;

export const replicaRestarts = (replicas: readonly Pick<ReplicaStatus, 'id' | 'name' | 'restarts'>[]): ReplicaRestarts =>
  new Map(replicas.map((r) => [r.id, { name: r.name, restarts: r.restarts }]));

/**
 * Which replicas restarted between two readings: those present in both whose restart count rose. A replica
 * gone (an HPA scale-down, a pod replaced) or new is not a restart, and is said apart: comparing the counts by
 * position read an HPA scale-down from 3 to 2 replicas during a PostgreSQL crash as "a backend replica restarted".
 */
export function compareRestarts(before: ReplicaRestarts, after: ReplicaRestarts): { restarted: string[]; removed: string[]; added: string[]; text: string } {
  const restarted = [...after].filter(([id, a]) => (before.get(id)?.restarts ?? a.restarts) < a.restarts).map(([id, a]) => `${a.name} (${before.get(id)!.restarts} → ${a.restarts})`);
  const removed = [...before].filter(([id]) => !after.has(id)).map(([, b]) => b.name);
  const added = [...after].filter(([id]) => !before.has(id)).map(([, a]) => a.name);
  const list = (m: ReplicaRestarts) => [...m.values()].map((r) => `${r.name} ${r.restarts}`).join(', ') || 'none';
  const text = `restarts before: ${list(before)}; after: ${list(after)}; ${restarted.length ? `RESTARTED: ${restarted.join(', ')}` : 'no replica restarted'}${removed.length ? `; gone (scaled down or replaced, not a restart): ${removed.join(', ')}` : ''}${added.length ? `; new: ${added.join(', ')}` : ''}`;
  return { restarted, removed, added, text };
}
