/**
 * The alerting and recording rules of the configured Prometheus rule files (monitoring.rules), each with the file
 * and line it is written at and the document line it cites: a `# source: doc 001 line 1967 (§Section)` comment
 * right above the rule (kind/monitoring/document-001-alerts.yaml). Pure: the texts are read by the caller.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export interface RuleCitation {
  doc: string;
  line: number;
  section?: string;
}

export interface ParsedRule {
  /** The alert's name, or the recorded metric's name. */
  name: string;
  type: 'alert' | 'record';
  expr: string;
  /** `for:` in seconds (0 when absent). */
  forSeconds: number;
  labels: Record<string, string>;
  group: string;
  /** The group's `interval:` in seconds, when set. */
  groupIntervalSeconds?: number;
  /** As displayed (relative to the project when inside it). */
  file: string;
  /** Line of the rule's `- alert:` / `- record:` entry. */
  line: number;
  citation?: RuleCitation;
}

export interface RuleFileText {
  /** As displayed. */
  file: string;
  text: string;
}

const CITATION = /#\s*source:\s*doc(?:ument)?\s+(\d{3})\s+line\s+(\d+)(?:\s*\(§([^)]+)\))?/i;
const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** A Prometheus duration ("5m", "1h30m") in seconds; undefined when it is none. */
export function promDurationSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(ms|s|m|h|d|w|y))+$/.test(text.trim())) return undefined;
  let seconds = 0;
  for (const [, n, u] of text.trim().matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) seconds += Number(n) * UNITS[u!]!;
  return seconds;
}

/** The `# source:` comment in the comment lines right above `line` (1-based), if any. */
function citationAbove(lines: readonly string[], line: number): RuleCitation | undefined {
  for (let i = line - 2; i >= 0; i--) {
    const text = lines[i]!.trim();
    if (text === '') continue;
    if (!text.startsWith('#')) return undefined;
    const m = CITATION.exec(text);
    if (m) return { doc: m[1]!, line: Number(m[2]), ...(m[3] ? { section: m[3].trim() } : {}) };
  }
  return undefined;
}

/** Every rule of the files, in file order. Entries that are not rules (no alert/record, no expr) are skipped. */
export function parseRuleFiles(files: readonly RuleFileText[]): ParsedRule[] {
  const out: ParsedRule[] = [];
  for (const f of files) {
    const lineCounter = new LineCounter();
    const doc = parseDocument(f.text, { lineCounter, prettyErrors: false });
    const lines = f.text.split('\n');
    const groups = doc.get('groups');
    if (!isSeq(groups)) continue;
    for (const g of groups.items) {
      if (!isMap(g)) continue;
      const rules = g.get('rules');
      if (!isSeq(rules)) continue;
      const group = String(g.get('name') ?? '');
      const groupInterval = promDurationSeconds(g.get('interval'));
      for (const item of rules.items) {
        if (!isMap(item)) continue;
        const raw = item.toJSON() as Record<string, unknown>;
        const name = typeof raw.alert === 'string' ? raw.alert : typeof raw.record === 'string' ? raw.record : undefined;
        if (name === undefined || raw.expr === undefined) continue;
        const line = lineCounter.linePos((item as Node).range?.[0] ?? 0).line;
        const citation = citationAbove(lines, line);
        const labels = Object.fromEntries(Object.entries((raw.labels ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        out.push({
          name,
          type: typeof raw.alert === 'string' ? 'alert' : 'record',
          expr: String(raw.expr).trim(),
          forSeconds: promDurationSeconds(raw.for) ?? 0,
          labels,
          group,
          ...(groupInterval !== undefined ? { groupIntervalSeconds: groupInterval } : {}),
          file: f.file,
          line,
          ...(citation ? { citation } : {}),
        });
      }
    }
  }
  return out;
}
