import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';

/** Every metric a target can bound, with the kind of quantity it takes. */
export const METRICS = {
  rto: 'duration',
  rpo: 'duration',
  'restore-time': 'duration',
  'latency-p95': 'duration',
  'latency-avg': 'duration',
  'db-query-avg': 'duration',
  'page-load': 'duration',
  'scale-up-time': 'duration',
  'execution-time-p95': 'duration',
  throughput: 'rate',
  availability: 'percent',
  'error-rate': 'percent',
  'success-rate': 'percent',
  'queue-length': 'count',
} as const;
export type MetricName = keyof typeof METRICS;
export type QuantityKind = (typeof METRICS)[MetricName];
export const QUANTITY_UNITS: Record<QuantityKind, string> = { duration: 'ms', rate: 'req/s', percent: '%', count: 'count' };

/**
 * How a target is used: `slo` must hold in a scenario (missed -> exit 1); `alert` is an alerting
 * threshold (sustained for `for`), reported and checked against thresholds; `report` is measured and
 * reported without a bound (the document asks to watch it, not to bound it).
 */
export const TARGET_KINDS = ['slo', 'alert', 'report'] as const;

export const sourceSchema = z.strictObject({
  doc: z.string().regex(/^\d{3}$/, 'a seed document number such as "001"'),
  section: z.string().min(1).describe('Section of the document the value comes from.'),
  quote: z.string().optional().describe('The words of the document, verbatim.'),
});
export type TargetSource = z.infer<typeof sourceSchema>;

const quantityInput = z.union([z.string(), z.number()]);

function parseQuantity(kind: QuantityKind, raw: string | number): number {
  if (kind === 'duration') return typeof raw === 'number' ? raw : parseDuration(raw);
  if (kind === 'percent') {
    const text = String(raw).trim();
    const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (!m) throw new Error(`"${raw}" is not a percentage (write e.g. 99.9%)`);
    return Number(m[1]);
  }
  if (kind === 'rate') {
    const m = /^(\d+(?:\.\d+)?)\s*(?:\/s|rps|req\/s)?$/.exec(String(raw).trim());
    if (!m) throw new Error(`"${raw}" is not a rate (write e.g. 1000/s)`);
    return Number(m[1]);
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`"${raw}" is not a count`);
  return n;
}

export const targetSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase id such as redis.rpo'),
    metric: z.enum(Object.keys(METRICS) as [MetricName, ...MetricName[]]),
    component: z.string().min(1).describe('What the target is about: backend, redis, postgres, api, executions…'),
    kind: z.enum(TARGET_KINDS).default('slo'),
    max: quantityInput.optional(),
    min: quantityInput.optional(),
    for: z.string().optional().describe('Alerts: how long the condition must hold, e.g. 10m.'),
    source: sourceSchema,
    note: z.string().optional(),
  })
  .transform((t, ctx) => {
    const kind = METRICS[t.metric];
    const parse = (key: 'max' | 'min') => {
      const raw = t[key];
      if (raw === undefined) return undefined;
      try {
        return parseQuantity(kind, raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [key], message: (error as Error).message });
        return undefined;
      }
    };
    const max = parse('max');
    const min = parse('min');
    if (t.kind !== 'report' && max === undefined && min === undefined && t.max === undefined && t.min === undefined) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `a ${t.kind} target needs max or min` });
    }
    let forMs: number | undefined;
    if (t.for !== undefined) {
      try {
        forMs = parseDuration(t.for);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['for'], message: (error as Error).message });
      }
    }
    return { ...t, quantity: kind, unit: QUANTITY_UNITS[kind], maxValue: max, minValue: min, forMs };
  });
export type Target = z.output<typeof targetSchema>;

const hpaPolicySchema = z.strictObject({ type: z.enum(['Percent', 'Pods']), value: z.number().int().positive(), periodSeconds: z.number().int().positive() });
const hpaRulesSchema = z.strictObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(hpaPolicySchema).optional(),
});

export const autoscalingSchema = z.strictObject({
  component: z.string().min(1),
  minReplicas: z.number().int().min(1),
  maxReplicas: z.number().int().min(1),
  cpuUtilization: z.number().int().min(1).max(100).optional(),
  memoryUtilization: z.number().int().min(1).max(100).optional(),
  behavior: z.strictObject({ scaleUp: hpaRulesSchema.optional(), scaleDown: hpaRulesSchema.optional() }).optional(),
  source: sourceSchema,
});
export type AutoscalingTarget = z.infer<typeof autoscalingSchema>;

export const disruptionBudgetSchema = z
  .strictObject({
    component: z.string().min(1),
    minAvailable: z.number().int().min(0).optional(),
    maxUnavailable: z.number().int().min(0).optional(),
    source: sourceSchema,
  })
  .refine((b) => (b.minAvailable === undefined) !== (b.maxUnavailable === undefined), 'set exactly one of minAvailable or maxUnavailable');
export type DisruptionBudgetTarget = z.infer<typeof disruptionBudgetSchema>;

export const profileSchema = z.strictObject({
  title: z.string().min(1),
  documents: z.array(z.string().regex(/^\d{3}$/)).min(1).describe('Seed documents this profile mirrors.'),
  description: z.string().optional(),
  targets: z.array(targetSchema).default([]),
  autoscaling: z.array(autoscalingSchema).default([]),
  disruptionBudgets: z.array(disruptionBudgetSchema).default([]),
});
export type TargetProfile = z.output<typeof profileSchema>;

export const targetsFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    documents: z.record(z.string().regex(/^\d{3}$/), z.string()).describe('Seed document number -> title.'),
    defaultProfile: z.string().min(1),
    profiles: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), profileSchema),
  })
  .superRefine((file, ctx) => {
    if (!Object.hasOwn(file.profiles, file.defaultProfile)) {
      ctx.addIssue({ code: 'custom', path: ['defaultProfile'], message: `no profile named "${file.defaultProfile}" (have: ${Object.keys(file.profiles).join(', ')})` });
    }
    for (const [name, profile] of Object.entries(file.profiles)) {
      const seen = new Set<string>();
      profile.targets.forEach((t, i) => {
        if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['profiles', name, 'targets', i, 'id'], message: `duplicate target id "${t.id}"` });
        seen.add(t.id);
        if (!(t.source.doc in file.documents)) ctx.addIssue({ code: 'custom', path: ['profiles', name, 'targets', i, 'source', 'doc'], message: `unknown document "${t.source.doc}"` });
      });
    }
  });
export type TargetsFile = z.output<typeof targetsFileSchema>;
