import { InternalError } from '../core/errors.ts';
import type { ProbeRecord } from '../measure/availability-probe.ts';
import { summarizeProbe, type AnalysisOptions } from '../measure/outage.ts';
import type { SentinelVerification } from '../measure/sentinel-writer.ts';
import { DEFAULT_INTERVALS, Timeline, probeTimelineEvents, type IntervalSpec, type TimelineEvent, type TimelineInterval } from '../measure/timeline.ts';
import type { Verdict } from '../measure/verdict.ts';
import type { ScenarioResult, ScenarioStatus, Series } from './run-results.ts';

export interface ScenarioInput {
  id: string;
  title: string;
  suite?: string;
  /** Default `completed`. `error` and `skipped` need a `reason`. */
  status?: ScenarioStatus;
  reason?: string;
  startedAt: number;
  endedAt: number;
  verdicts?: Verdict[];
  timeline?: Timeline | readonly TimelineEvent[];
  /** Raw probe records; summaries (with RTO when `faultAt` is given) and probe timeline events are derived. */
  probes?: Array<{ record: ProbeRecord; faultAt?: number; analysis?: AnalysisOptions }>;
  sentinels?: SentinelVerification[];
  series?: Series[];
  notes?: string[];
  /** Intervals to derive from the timeline. Default DEFAULT_INTERVALS plus per-probe RTO intervals. */
  intervals?: readonly IntervalSpec[];
}

/** Assembles one scenario's entry of results.json from what a suite measured. */
export function buildScenarioResult(input: ScenarioInput): ScenarioResult {
  const status = input.status ?? 'completed';
  if (status !== 'completed' && !input.reason?.trim()) {
    throw new InternalError(`scenario ${input.id}: status ${status} needs a reason saying what happened`);
  }
  const timeline = new Timeline(input.timeline instanceof Timeline ? input.timeline.events : (input.timeline ?? []));
  const probes = (input.probes ?? []).map(({ record, faultAt, analysis }) => {
    const summary = summarizeProbe(record, { ...analysis, ...(faultAt === undefined ? {} : { faultAt }) });
    for (const e of probeTimelineEvents(summary)) {
      if (!timeline.events.some((x) => x.type === e.type && x.subject === e.subject)) timeline.add(e);
    }
    return { summary, attempts: record.attempts };
  });
  const intervals = input.intervals ? timeline.intervals(input.intervals) : defaultIntervals(timeline, probes.map((p) => p.summary.name));
  return {
    id: input.id,
    title: input.title,
    ...(input.suite === undefined ? {} : { suite: input.suite }),
    status,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    verdicts: input.verdicts ?? [],
    timeline: timeline.toJSON(),
    intervals,
    probes,
    sentinels: input.sentinels ?? [],
    series: input.series ?? [],
    notes: input.notes ?? [],
  };
}

/**
 * Non-probe default intervals, plus for each probe the fault → first failure / first success / sustained
 * success intervals computed on that probe's events only (the fault event's subject is the faulted
 * component, not the probe, so a subject filter on both ends would not match).
 */
function defaultIntervals(timeline: Timeline, probeNames: readonly string[]): TimelineInterval[] {
  const isProbeEvent = (e: TimelineEvent) => e.type.startsWith('probe.');
  const general = DEFAULT_INTERVALS.filter((spec) => !spec.from.startsWith('probe.') && !spec.to.startsWith('probe.'));
  const out = new Timeline(timeline.events.filter((e) => !isProbeEvent(e))).intervals(general);
  for (const name of probeNames) {
    const own = new Timeline(timeline.events.filter((e) => !isProbeEvent(e) || e.subject === name));
    out.push(
      ...own.intervals([
        { name: `fault → first failure seen by ${name}`, from: 'fault.injected', to: 'probe.first-failure' },
        { name: `fault → first success seen by ${name}`, from: 'fault.injected', to: 'probe.first-success' },
        { name: `fault → sustained success seen by ${name} (client-observed RTO)`, from: 'fault.injected', to: 'probe.sustained-success' },
      ]),
    );
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}
