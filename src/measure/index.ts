// Measurement primitives (issue #8): probes (their checks are src/probe/), sentinel writers, outage/RPO analysis, timelines, verdicts.
export { AvailabilityProbe, type ProbeAttempt, type ProbeOptions, type ProbeRecord } from './availability-probe.ts';
export { hrNow } from './clock.ts';
export {
  availabilityPercent,
  clientObservedRto,
  errorCount,
  firstFailureAfter,
  firstSuccessAfter,
  isSuccess,
  latencyStats,
  outageWindows,
  sortAttempts,
  summarizeProbe,
  totalOutageMs,
  type AnalysisOptions,
  type LatencyStats,
  type OutageWindow,
  type ProbeSummary,
  type RtoMeasurement,
} from './outage.ts';
export { compactRanges, computeRpo, type RpoInput, type RpoResult, type SentinelWrite, type SurvivingRecord } from './rpo.ts';
export { SentinelWriter, type SentinelLog, type SentinelRecord, type SentinelSink, type SentinelVerification, type SentinelWriterOptions } from './sentinel-writer.ts';
export { appRecordsReader } from './sinks/app-records-reader.ts';
export { httpSentinelSink, type HttpSentinelSinkOptions } from './sinks/http-sentinel-sink.ts';
export { postgresSentinelSink, type PostgresSentinelSinkOptions } from './sinks/postgres-sentinel-sink.ts';
export { redisSentinelSink, type RedisSentinelSinkOptions } from './sinks/redis-sentinel-sink.ts';
export {
  DEFAULT_INTERVALS,
  TIMELINE_EVENT_TYPES,
  TIMELINE_SOURCES,
  Timeline,
  deriveIntervals,
  probeTimelineEvents,
  timelineEventFromBus,
  type IntervalSpec,
  type TimelineEvent,
  type TimelineEventType,
  type TimelineInterval,
  type TimelineSource,
} from './timeline.ts';
export { VERDICTS, evaluateTarget, missedTargets, type BoundedTarget, type Comparator, type Measurement, type Verdict, type VerdictSource, type VerdictStatus } from './verdict.ts';
