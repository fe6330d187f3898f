/** Kubernetes label selectors (metav1.LabelSelector) and their matching semantics. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

export const EVERYTHING: LabelSelector = { matchLabels: {}, matchExpressions: [] };

/** Parses a selector object; `undefined` when absent (which for most kinds selects nothing). */
export function parseLabelSelector(raw: unknown): LabelSelector | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as { matchLabels?: unknown; matchExpressions?: unknown };
  const matchLabels: Record<string, string> = {};
  if (r.matchLabels && typeof r.matchLabels === 'object') {
    for (const [k, v] of Object.entries(r.matchLabels as Record<string, unknown>)) matchLabels[k] = String(v);
  }
  const matchExpressions: LabelSelectorRequirement[] = [];
  if (Array.isArray(r.matchExpressions)) {
    for (const e of r.matchExpressions as Array<Record<string, unknown>>) {
      const op = String(e?.operator ?? '');
      if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') continue;
      matchExpressions.push({ key: String(e.key ?? ''), operator: op, values: Array.isArray(e.values) ? e.values.map(String) : [] });
    }
  }
  return { matchLabels, matchExpressions };
}

/** A plain map selector (Service.spec.selector, ReplicationController) as a LabelSelector. */
export function mapSelector(raw: unknown): LabelSelector | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) matchLabels[k] = String(v);
  return { matchLabels, matchExpressions: [] };
}

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
}

export function formatSelector(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`),
    ...selector.matchExpressions.map((e) => (e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${e.values.join(',')})`)),
  ];
  return parts.length ? parts.join(',') : '{} (everything)';
}
