import { serviceRef, type EnvironmentStatus } from '../../providers/provider.ts';
import { table } from '../render.ts';

/** The workloads of an environment as a table: ready/desired, health, restarts, endpoint. */
export function statusTable(status: EnvironmentStatus): string {
  const rows = status.services.map((s) => {
    const ready = s.replicas.filter((r) => r.health === 'healthy').length;
    const health = [...new Set(s.replicas.map((r) => r.health))].join(',') || 'missing';
    const restarts = s.replicas.reduce((n, r) => n + r.restarts, 0);
    return [serviceRef(s), `${ready}/${s.desired}`, health, String(restarts), s.endpoint ?? ''];
  });
  return table(['service', 'ready', 'health', 'restarts', 'endpoint (127.0.0.1)'], rows);
}
