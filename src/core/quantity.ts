/**
 * Kubernetes resource quantities (`500m`, `2`, `0.5`, `512Mi`, `2Gi`, `1e3`, `128974848`) as numbers:
 * CPU in millicores, everything else in base units (bytes for memory). Follows the grammar of
 * k8s.io/apimachinery/pkg/api/resource: a signed decimal number, then a binary SI suffix (Ki..Ei), a
 * decimal SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E6).
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/;

/** The quantity in base units (1 CPU = 1, 1Gi = 2^30), or undefined when it is not a quantity. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * BINARY[suffix]!;
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * DECIMAL[suffix]!;
}

/** CPU quantity in millicores (`500m` -> 500, `2` -> 2000). */
export function cpuMillis(value: unknown): number | undefined {
  const q = parseQuantity(value);
  return q === undefined ? undefined : Math.round(q * 1000 * 1000) / 1000;
}

export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${Math.round(millis)}m`;
}

export function formatBytes(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(2).replace(/\.?0+$/, '')}${suffix}`;
    }
  }
  return String(bytes);
}

/** Formats a quantity of `resource` (cpu in millicores, memory in bytes, counts as is). */
export function formatResource(resource: string, value: number): string {
  if (resource === 'cpu') return formatCpu(value);
  if (resource === 'memory' || resource.includes('storage')) return formatBytes(value);
  return String(value);
}
