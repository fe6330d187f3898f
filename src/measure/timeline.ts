import type { TimedEvent } from '../core/events.ts';
import { hrNow } from './clock.ts';
import type { ProbeSummary } from './outage.ts';

export const TIMELINE_SOURCES = ['probe', 'provider', 'harness'] as const;
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

export const TIMELINE_EVENT_TYPES = [
  'scenario.started',
  'scenario.ended',
  'fault.injected',
  'fault.healed',
  'container.died',
  'container.paused',
  'container.unpaused',
  'container.started',
  'container.ready',
  'pod.deleted',
  'pod.scheduled',
  'pod.ready',
  'node.stopped',
  'node.ready',
  'endpoint.ready',
  'replicas.changed',
  // HPA suite (scenarios/hpa.test.ts): load window, a metric crossing its target, the HPA's decision, latency back under target.
  'load.started',
  'load.stopped',
  'metric.crossed',
  'hpa.desired-changed',
  'latency.recovered',
  // Execution-load suite in Job mode (src/measure/job-latency.ts): one Kubernetes Job per execution.
  'job.created',
  'job.completed',
  'job.failed',
  'data.destroyed',
  'backup.started',
  'backup.completed',
  'restore.started',
  'restore.completed',
  'app.ready',
  'probe.first-failure',
  'probe.first-success',
  'probe.sustained-success',
  'sentinel.verified',
  'note',
] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

export interface TimelineEvent {
  /** Epoch ms (`hrNow()` for harness/probe events; provider events carry the provider's own time). */
  at: number;
  type: TimelineEventType;
  source: TimelineSource;
  /** What it is about: a pod, container, probe or sentinel name. */
  subject?: string;
  detail?: string;
  /** Numeric payload, e.g. the replica count for `replicas.changed`. */
  value?: number;
}

export interface IntervalSpec {
  name: string;
  from: TimelineEventType;
  to: TimelineEventType;
  /** Only events about this subject (both ends), e.g. one probe. */
  subject?: string;
}

export interface TimelineInterval {
  name: string;
  from: TimelineEventType;
  to: TimelineEventType;
  start: number;
  end: number;
  durationMs: number;
}

/** Intervals that mean something in failover scenarios; missing ends are simply not derived. */
export const DEFAULT_INTERVALS: readonly IntervalSpec[] = [
  { name: 'fault → first probe failure (detection)', from: 'fault.injected', to: 'probe.first-failure' },
  { name: 'fault → first probe success', from: 'fault.injected', to: 'probe.first-success' },
  { name: 'fault → sustained success (client-observed RTO)', from: 'fault.injected', to: 'probe.sustained-success' },
  { name: 'container died → started', from: 'container.died', to: 'container.started' },
  { name: 'container paused → unpaused', from: 'container.paused', to: 'container.unpaused' },
  { name: 'container started → ready', from: 'container.started', to: 'container.ready' },
  { name: 'pod deleted → scheduled', from: 'pod.deleted', to: 'pod.scheduled' },
  { name: 'pod scheduled → ready', from: 'pod.scheduled', to: 'pod.ready' },
  { name: 'fault → endpoint ready', from: 'fault.injected', to: 'endpoint.ready' },
  { name: 'data destroyed → app ready', from: 'data.destroyed', to: 'app.ready' },
  { name: 'backup', from: 'backup.started', to: 'backup.completed' },
  { name: 'restore', from: 'restore.started', to: 'restore.completed' },
];

/**
 * A scenario's timeline: events from the probes, the provider (Docker events, Kubernetes watches) and the
 * harness, merged and kept sorted by time. Named intervals are derived from pairs of event types.
 */
export class Timeline {
  readonly #events: TimelineEvent[] = [];

  constructor(events: Iterable<TimelineEvent> = []) {
    for (const e of events) this.add(e);
  }

  add(event: TimelineEvent): this {
    // Insertion keeps the order stable for equal timestamps (the order they were reported in).
    let i = this.#events.length;
    while (i > 0 && this.#events[i - 1]!.at > event.at) i -= 1;
    this.#events.splice(i, 0, { ...event });
    return this;
  }

  /** Adds an event stamped now (`hrNow()`). */
  mark(type: TimelineEventType, source: TimelineSource, extra: Omit<TimelineEvent, 'at' | 'type' | 'source'> = {}): TimelineEvent {
    const event = { at: hrNow(), type, source, ...extra };
    this.add(event);
    return event;
  }

  merge(...others: Array<Timeline | Iterable<TimelineEvent>>): this {
    for (const other of others) for (const e of other instanceof Timeline ? other.events : other) this.add(e);
    return this;
  }

  get events(): readonly TimelineEvent[] {
    return this.#events;
  }

  first(type: TimelineEventType, options: { after?: number; subject?: string } = {}): TimelineEvent | undefined {
    return this.#events.find((e) => e.type === type && (options.after === undefined || e.at >= options.after) && (options.subject === undefined || e.subject === options.subject));
  }

  last(type: TimelineEventType, options: { subject?: string } = {}): TimelineEvent | undefined {
    return [...this.#events].reverse().find((e) => e.type === type && (options.subject === undefined || e.subject === options.subject));
  }

  intervals(specs: readonly IntervalSpec[] = DEFAULT_INTERVALS): TimelineInterval[] {
    return deriveIntervals(this.#events, specs);
  }

  toJSON(): TimelineEvent[] {
    return [...this.#events];
  }
}

/** For each spec: first `from` event, then the first `to` event at or after it. */
export function deriveIntervals(events: readonly TimelineEvent[], specs: readonly IntervalSpec[] = DEFAULT_INTERVALS): TimelineInterval[] {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const out: TimelineInterval[] = [];
  for (const spec of specs) {
    const matches = (e: TimelineEvent) => spec.subject === undefined || e.subject === spec.subject;
    const from = sorted.find((e) => e.type === spec.from && matches(e));
    if (!from) continue;
    const to = sorted.find((e) => e.type === spec.to && e.at >= from.at && matches(e));
    if (!to) continue;
    out.push({ name: spec.name, from: spec.from, to: spec.to, start: from.at, end: to.at, durationMs: to.at - from.at });
  }
  return out;
}

/** Timeline events a probe summary implies (first failure / first success / sustained success after the fault). */
export function probeTimelineEvents(summary: ProbeSummary): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const subject = summary.name;
  const rto = summary.rto;
  if (rto) {
    if (rto.firstFailureAt !== null) events.push({ at: rto.firstFailureAt, type: 'probe.first-failure', source: 'probe', subject, detail: summary.target });
    if (rto.firstSuccessAt !== null) events.push({ at: rto.firstSuccessAt, type: 'probe.first-success', source: 'probe', subject, detail: summary.target });
    if (rto.sustainedSuccessAt !== null) {
      events.push({ at: rto.sustainedSuccessAt, type: 'probe.sustained-success', source: 'probe', subject, detail: `${rto.sustainedSuccesses} consecutive successes` });
    }
    return events;
  }
  const first = summary.outages[0];
  if (first) {
    events.push({ at: first.start, type: 'probe.first-failure', source: 'probe', subject, detail: first.errors[0]?.error ?? summary.target });
    if (first.recovered) events.push({ at: first.end, type: 'probe.first-success', source: 'probe', subject, detail: summary.target });
  }
  return events;
}

/** Maps the harness's bus events that belong on a timeline (fault injected/healed); others are ignored. */
export function timelineEventFromBus(event: TimedEvent): TimelineEvent | undefined {
  if (event.kind === 'fault.injected' || event.kind === 'fault.healed') {
    return { at: event.at, type: event.kind, source: 'harness', subject: event.target, detail: `${event.fault} (${event.scenario})` };
  }
  return undefined;
}
