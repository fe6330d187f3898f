/** Small readers for unvalidated YAML (parsed Kubernetes objects). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
export function rec(x: unknown): Record<string, unknown> {
  return isRecord(x) ? x : {};
}
export function arr(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
export function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
}
export function num(x: unknown): number | undefined {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x.trim())) return Number(x);
  return undefined;
}
export function intOrString(x: unknown): number | string | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') return /^\d+$/.test(x) ? Number(x) : x;
  return undefined;
}
export function mapOfStrings(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(x))) out[k] = String(v);
  return out;
}
export function labelsOf(raw: Record<string, unknown>): Record<string, string> {
  return mapOfStrings(rec(raw.metadata).labels);
}
