/**
 * What `check` needs to know about a PromQL expression, read with Prometheus' own grammar
 * (@prometheus-io/lezer-promql, the parser of Prometheus' web UI): the series selectors (metric, label matchers,
 * range, the function applied to them), the comparisons with a number, and the divisions.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { promDurationSeconds } from './alert-rules.ts';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export const MATCH_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

export interface SelectorUse {
  /** The metric name (identifier or __name__="…"); undefined when the selector names none. */
  metric?: string;
  /** Label matchers other than __name__. */
  matchers: LabelMatcher[];
  /** The selector as written. */
  text: string;
  /** Range of a range selector ([15m]) in seconds. */
  rangeSeconds?: number;
  /** The function applied directly to it (rate, increase…). */
  fn?: string;
}

export const COMPARISON_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export interface Comparison {
  /** Normalised with the series on the left: `0 < x` is `x > 0`. */
  op: ComparisonOp;
  threshold: number;
  /** The selectors of the side compared with the number. */
  selectors: SelectorUse[];
  text: string;
}

export interface Division {
  dividend: SelectorUse[];
  divisor: SelectorUse[];
  text: string;
}

export interface PromqlAnalysis {
  /** Where the expression does not parse (Prometheus refuses the rule file). */
  error?: string;
  selectors: SelectorUse[];
  comparisons: Comparison[];
  divisions: Division[];
}

const OPERATORS: Record<string, string> = {
  Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=', Eql: '==', Neq: '!=',
  Div: '/', Mul: '*', Add: '+', Sub: '-', Mod: '%', Pow: '^', Atan2: 'atan2', And: 'and', Or: 'or', Unless: 'unless',
};
const MIRROR: Record<ComparisonOp, ComparisonOp> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=', '==': '==', '!=': '!=' };
const MODIFIERS = new Set(['BoolModifier', 'MatchingModifierClause']);

function unquote(text: string): string {
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  return text.slice(1, -1);
}

function numberValue(node: SyntaxNode, expr: string): number | undefined {
  let n: SyntaxNode | null = node;
  let sign = 1;
  while (n && (n.name === 'ParenExpr' || n.name === 'UnaryExpr')) {
    if (n.name === 'UnaryExpr' && expr.slice(n.from, n.to).trim().startsWith('-')) sign = -sign;
    n = n.lastChild;
  }
  if (n?.name !== 'NumberDurationLiteral') return undefined;
  const value = Number(expr.slice(n.from, n.to));
  return Number.isFinite(value) ? sign * value : undefined;
}

export function analyzePromql(expr: string): PromqlAnalysis {
  const tree = parser.parse(expr);
  let error: string | undefined;
  tree.iterate({
    enter: (n) => {
      if (error === undefined && n.type.isError) error = `does not parse at character ${n.from + 1}: "${expr.slice(Math.max(0, n.from - 10), n.from + 10).trim()}"`;
    },
  });
  const out: PromqlAnalysis = { ...(error ? { error } : {}), selectors: [], comparisons: [], divisions: [] };

  /** Selectors below `node`, recording comparisons and divisions on the way. */
  const walk = (node: SyntaxNode, fn: string | undefined, rangeSeconds: number | undefined): SelectorUse[] => {
    if (node.name === 'VectorSelector') {
      const use = selector(node, expr, fn, rangeSeconds);
      out.selectors.push(use);
      return [use];
    }
    if (node.name === 'MatrixSelector') {
      const range = node.getChild('DurationExpr');
      const seconds = range ? promDurationSeconds(expr.slice(range.from, range.to)) : undefined;
      const inner = node.getChild('VectorSelector');
      return inner ? walk(inner, fn, seconds) : [];
    }
    if (node.name === 'FunctionCall') {
      const id = node.getChild('FunctionIdentifier');
      const name = id ? expr.slice(id.from, id.to) : undefined;
      const body = node.getChild('FunctionCallBody');
      return body ? children(body).flatMap((c) => walk(c, name, undefined)) : [];
    }
    if (node.name === 'BinaryExpr') {
      const parts = children(node).filter((c) => !MODIFIERS.has(c.name));
      const opIndex = parts.findIndex((c) => OPERATORS[c.name] !== undefined);
      if (opIndex <= 0 || opIndex >= parts.length - 1) return parts.flatMap((c) => walk(c, undefined, undefined));
      const [left, op, right] = [parts[opIndex - 1]!, OPERATORS[parts[opIndex]!.name]!, parts[opIndex + 1]!];
      const l = walk(left, undefined, undefined);
      const r = walk(right, undefined, undefined);
      const text = expr.slice(node.from, node.to);
      if ((COMPARISON_OPS as readonly string[]).includes(op)) {
        const rn = numberValue(right, expr);
        const ln = numberValue(left, expr);
        if (rn !== undefined && l.length > 0) out.comparisons.push({ op: op as ComparisonOp, threshold: rn, selectors: l, text });
        else if (ln !== undefined && r.length > 0) out.comparisons.push({ op: MIRROR[op as ComparisonOp], threshold: ln, selectors: r, text });
      }
      if (op === '/') out.divisions.push({ dividend: l, divisor: r, text });
      return [...l, ...r];
    }
    return children(node).flatMap((c) => walk(c, node.name === 'AggregateExpr' || node.name === 'ParenExpr' ? undefined : fn, rangeSeconds));
  };
  walk(tree.topNode, undefined, undefined);
  return out;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function selector(node: SyntaxNode, expr: string, fn: string | undefined, rangeSeconds: number | undefined): SelectorUse {
  const id = node.getChild('Identifier');
  let metric = id ? expr.slice(id.from, id.to) : undefined;
  const matchers: LabelMatcher[] = [];
  const list = node.getChild('LabelMatchers');
  for (const m of list ? children(list) : []) {
    if (m.name === 'QuotedLabelName') {
      metric = unquote(expr.slice(m.from, m.to));
      continue;
    }
    const nameNode = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    const opNode = m.getChild('MatchOp');
    const valueNode = m.getChild('StringLiteral');
    if (!nameNode || !opNode || !valueNode) continue;
    const rawName = expr.slice(nameNode.from, nameNode.to);
    const label = nameNode.name === 'QuotedLabelName' ? unquote(rawName) : rawName;
    const op = expr.slice(opNode.from, opNode.to) as MatchOp;
    const value = unquote(expr.slice(valueNode.from, valueNode.to));
    if (label === '__name__' && op === '=') metric = value;
    else matchers.push({ label, op, value });
  }
  return { ...(metric ? { metric } : {}), matchers, text: expr.slice(node.from, node.to), ...(rangeSeconds !== undefined ? { rangeSeconds } : {}), ...(fn ? { fn } : {}) };
}
