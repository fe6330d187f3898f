/** k6 load-test thresholds versus the documented latency SLO. */
import { fromTarget, ms, type Finding, type Rule } from '../finding.ts';

export interface K6Threshold {
  percentile: number;
  /** ms */
  bound: number;
  inclusive: boolean;
  expression: string;
  line: number;
}

/** `http_req_duration: ['p(95)<500', { threshold: 'p(99)<1500' }]` -> percentile thresholds. */
export function parseK6Thresholds(text: string): K6Threshold[] {
  const out: K6Threshold[] = [];
  const re = /['"]?http_req_duration(?:\{[^}]*\})?['"]?\s*:\s*\[([\s\S]*?)\]/g;
  for (const m of text.matchAll(re)) {
    const body = m[1] ?? '';
    const bodyStart = (m.index ?? 0) + m[0].indexOf(body);
    for (const t of body.matchAll(/p\((\d+(?:\.\d+)?)\)\s*(<=?)\s*(\d+(?:\.\d+)?)/g)) {
      const at = bodyStart + (t.index ?? 0);
      out.push({ percentile: Number(t[1]), bound: Number(t[3]), inclusive: t[2] === '<=', expression: t[0], line: text.slice(0, at).split('\n').length });
    }
  }
  return out;
}

export const k6ThresholdRule: Rule = {
  id: 'k6-threshold-looser-than-slo',
  title: 'k6 threshold looser than the documented latency SLO',
  severity: 'warning',
  description: 'A load test in loadtests/ whose http_req_duration p(95) threshold is above the profile\'s latency-p95 SLO passes '
    + 'while the SLO is missed. No scripts in loadtests/: no finding.',
  run(ctx) {
    const findings: Finding[] = [];
    const slos = ctx.selected.profile.targets.filter((t) => t.metric === 'latency-p95' && t.kind === 'slo' && t.maxValue !== undefined);
    if (slos.length === 0) return findings;
    for (const script of ctx.loadtests) {
      for (const th of parseK6Thresholds(script.text)) {
        if (th.percentile !== 95) continue;
        for (const t of slos) {
          if (th.bound <= t.maxValue!) continue;
          findings.push({
            ruleId: this.id,
            severity: 'warning',
            message: `${script.file}:${th.line}: k6 threshold http_req_duration '${th.expression}' allows a p95 of ${ms(th.bound)}, looser than the ${ms(t.maxValue!)} p95 SLO (${t.id}): the load test passes while the SLO is missed.`,
            hint: `Use 'p(95)<${t.maxValue}' (or let \`prodlike load\` generate thresholds from the profile).`,
            objects: [{ kind: 'File', name: script.file, location: { file: script.file, line: th.line } }],
            targets: [fromTarget(ctx, t)],
            details: { file: script.file, line: th.line, thresholdMs: th.bound, sloMs: t.maxValue },
          });
        }
      }
    }
    return findings;
  },
};
