import { z } from 'zod';
import { ProdlikeError } from '../core/errors.ts';

/**
 * The JSON k6 hands to handleSummary (loadtests/lib/harness.js writes it to SUMMARY_PATH): metrics
 * with their aggregated values and, per threshold expression, whether it held.
 */
const metricSchema = z.object({
  type: z.enum(['trend', 'rate', 'counter', 'gauge']),
  contains: z.string().optional(),
  values: z.record(z.string(), z.number().nullable()),
  thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
});

interface Group {
  name: string;
  checks?: Record<string, { name: string; passes: number; fails: number }> | { name: string; passes: number; fails: number }[];
  groups?: Record<string, Group> | Group[];
}
const groupSchema: z.ZodType<Group> = z.lazy(() =>
  z.object({
    name: z.string(),
    checks: z.union([z.record(z.string(), z.object({ name: z.string(), passes: z.number(), fails: z.number() })), z.array(z.object({ name: z.string(), passes: z.number(), fails: z.number() }))]).optional(),
    groups: z.union([z.record(z.string(), groupSchema), z.array(groupSchema)]).optional(),
  }),
);

const summarySchema = z.object({
  metrics: z.record(z.string(), metricSchema),
  root_group: groupSchema.optional(),
  state: z.object({ testRunDurationMs: z.number() }).partial().optional(),
});
export type K6Summary = z.infer<typeof summarySchema>;
export type K6Metric = z.infer<typeof metricSchema>;

export function parseK6Summary(text: string, where = 'k6 summary'): K6Summary {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ProdlikeError('COMMAND_FAILED', `${where} is not JSON: ${(cause as Error).message}.`, { cause, hint: 'The script must export handleSummary from loadtests/lib/harness.js (writeSummary).' });
  }
  const parsed = summarySchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProdlikeError('COMMAND_FAILED', `${where} does not look like k6's handleSummary data: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, {
      hint: 'Was it written by k6 v1 handleSummary (legacy format, without --new-machine-readable-summary)?',
    });
  }
  return parsed.data;
}

export interface ParsedExpression {
  /** `p(95)`, `avg`, `med`, `rate`, `count`… */
  stat: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  value: number;
}

/** `p(95)<200` → { stat: 'p(95)', op: '<', value: 200 }. */
export function parseExpression(expression: string): ParsedExpression | undefined {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expression);
  if (!m) return undefined;
  return { stat: m[1]!, op: m[2] as ParsedExpression['op'], value: Number(m[3]) };
}

/** A value of a metric (`p(95)`, `rate`, `count`…), or undefined when absent or without samples. */
export function metricValue(summary: K6Summary, key: string, stat: string): number | undefined {
  const metric = summary.metrics[key];
  if (!metric) return undefined;
  // `p(50)` is `med` in k6's summary.
  const v = metric.values[stat] ?? (stat === 'p(50)' ? metric.values.med : undefined);
  if (v === null || v === undefined || !Number.isFinite(v)) return undefined;
  if (metric.type === 'trend' && (metric.values.count ?? 1) === 0) return undefined;
  return v;
}

/** The number of samples behind a metric (trend count, rate passes + fails, counter count). */
export function sampleCount(summary: K6Summary, key: string): number {
  const metric = summary.metrics[key];
  if (!metric) return 0;
  const v = metric.values;
  if (metric.type === 'rate') return (v.passes ?? 0) + (v.fails ?? 0);
  return v.count ?? 0;
}

/** Did `expression` on `key` hold? undefined when k6 did not evaluate it. */
export function thresholdHeld(summary: K6Summary, key: string, expression: string): boolean | undefined {
  return summary.metrics[key]?.thresholds?.[expression]?.ok;
}

/** Every crossed threshold, as `metric expression`. */
export function crossedThresholds(summary: K6Summary): string[] {
  const out: string[] = [];
  for (const [key, metric] of Object.entries(summary.metrics)) {
    for (const [expr, t] of Object.entries(metric.thresholds ?? {})) if (!t.ok) out.push(`${key} ${expr}`);
  }
  return out;
}

export interface CheckResult {
  name: string;
  passes: number;
  fails: number;
}

/** k6 checks of all groups, flattened. */
export function checkResults(summary: K6Summary): CheckResult[] {
  const out: CheckResult[] = [];
  const walk = (g: Group | undefined) => {
    if (!g) return;
    const checks = Array.isArray(g.checks) ? g.checks : Object.values(g.checks ?? {});
    for (const c of checks) out.push({ name: c.name, passes: c.passes, fails: c.fails });
    const groups = Array.isArray(g.groups) ? g.groups : Object.values(g.groups ?? {});
    for (const sub of groups) walk(sub);
  };
  walk(summary.root_group);
  return out;
}
