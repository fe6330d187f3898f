/**
 * What a rule of `prodlike check` produces, and what it gets to look at. A finding names the rule, a
 * severity, the Kubernetes objects involved (with the file/line they come from), the documented
 * targets it contradicts (each with its source document, section and quote), a message with the
 * numbers, and a fix hint.
 */
import { describeSource, type SelectedProfile } from '../config/load-targets.ts';
import type { ResolvedWorkload } from '../config/schema.ts';
import type { AutoscalingTarget, DisruptionBudgetTarget, Target, TargetSource } from '../config/targets-schema.ts';
import { formatDuration } from '../core/duration.ts';
import type { ParsedRule } from './alert-rules.ts';
import type { MonitoringStack } from './metric-catalogue.ts';
import type { Manifests, ObjectRef, SourceLocation } from './model.ts';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface FindingObject extends ObjectRef {
  location?: SourceLocation;
}

export interface FindingTarget {
  /** `target` (RTO/RPO/latency…), `autoscaling` or `disruptionBudget` entry of the profile; `alert`: a documented alert rule. */
  type: 'target' | 'autoscaling' | 'disruptionBudget' | 'alert';
  /** Target id (targets only), e.g. pods.rto. */
  id?: string;
  component: string;
  metric?: string;
  /** The documented value as written, e.g. "max 2m", "minAvailable 2", "minReplicas 2, maxReplicas 10". */
  value: string;
  source: TargetSource;
  /** The document line (alert rules: the rule file's `# source: doc NNN line N`). */
  line?: number;
  /** describeSource(): "doc 001 (On-Premise (In-Cluster) Architecture) §High Availability › 3. Pod Disruption Budgets" */
  reference: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  hint: string;
  objects: FindingObject[];
  targets: FindingTarget[];
  /** Rule-specific numbers (seconds, replicas, millicores…), stable keys per rule (docs/check.md). */
  details?: Record<string, unknown>;
}

export interface Allocatable {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
  /** Where the numbers come from, e.g. "kind default (2 CPUs, 24 GiB)" or "--allocatable". */
  source: string;
}

export interface CheckOptions {
  /** The cluster the manifests are meant for; undefined: not described, capacity is not compared. */
  allocatable?: Allocatable;
  /** Checking for the local cluster (kind): registry pulls are impossible or slow, the kind overlay applies. */
  localCluster: boolean;
  /** Pod network CIDR, for ipBlock peers (kind: 10.244.0.0/16). */
  podCidr: string;
}

export interface LoadTestScript {
  file: string;
  text: string;
}

export interface CheckContext {
  manifests: Manifests;
  selected: SelectedProfile;
  topology: ResolvedWorkload[];
  options: CheckOptions;
  loadtests: LoadTestScript[];
  /** `check.components` of prodlike.yaml: component -> [namespace/]kind/name workloads. */
  componentMap: Readonly<Record<string, readonly string[]>>;
  /** The configured Prometheus rules and the stack's series (monitoring.rules); undefined: not evaluated. */
  alerts?: AlertRulesInput;
}

export interface AlertRulesInput {
  rules: ParsedRule[];
  stack: MonitoringStack;
  /** The rule files as displayed. */
  files: string[];
  /** The catalogue file as displayed. */
  catalogueFile: string;
}

export interface Rule {
  id: string;
  title: string;
  /** The highest severity the rule emits. */
  severity: Severity;
  description: string;
  run: (ctx: CheckContext) => Finding[];
}

export function fromTarget(ctx: CheckContext, t: Target): FindingTarget {
  const value = [t.max !== undefined ? `max ${t.max}` : '', t.min !== undefined ? `min ${t.min}` : ''].filter(Boolean).join(', ') || t.kind;
  return { type: 'target', id: t.id, component: t.component, metric: t.metric, value, source: t.source, reference: describeSource(t, ctx.selected.file) };
}

export function fromAutoscaling(ctx: CheckContext, a: AutoscalingTarget): FindingTarget {
  return {
    type: 'autoscaling',
    component: a.component,
    value: `minReplicas ${a.minReplicas}, maxReplicas ${a.maxReplicas}`,
    source: a.source,
    reference: describeSource(a, ctx.selected.file),
  };
}

export function fromDisruptionBudget(ctx: CheckContext, b: DisruptionBudgetTarget): FindingTarget {
  return {
    type: 'disruptionBudget',
    component: b.component,
    value: b.minAvailable !== undefined ? `minAvailable ${b.minAvailable}` : `maxUnavailable ${b.maxUnavailable}`,
    source: b.source,
    reference: describeSource(b, ctx.selected.file),
  };
}

/** Seconds as "2m45s (165 s)". */
export function secs(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  return seconds < 60 ? `${seconds} s` : `${formatDuration(seconds * 1000)} (${seconds} s)`;
}

export function ms(value: number): string {
  return Number.isFinite(value) ? formatDuration(value) : 'never';
}
