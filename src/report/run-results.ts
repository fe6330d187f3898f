import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { ProbeAttempt } from '../measure/availability-probe.ts';
import type { ProbeSummary } from '../measure/outage.ts';
import type { SentinelVerification } from '../measure/sentinel-writer.ts';
import type { TimelineEvent, TimelineInterval } from '../measure/timeline.ts';
import type { Series } from '../measure/series.ts';
import type { Verdict } from '../measure/verdict.ts';

/**
 * The content of `runs/<run>/results.json`: everything the report, the JUnit file, the CLI table and
 * `prodlike report --compare` need, so a past run can be re-rendered without the environment.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export const SCENARIO_STATUSES = ['completed', 'error', 'skipped'] as const;
/** Harness-level status, separate from verdicts: `error` = could not run (exit 3); a missed target is `completed` with a failed verdict (exit 1). */
export type ScenarioStatus = (typeof SCENARIO_STATUSES)[number];

export interface ScenarioProbe {
  summary: ProbeSummary;
  /** Every attempt, sorted by start (the charts are drawn from these). */
  attempts: ProbeAttempt[];
}

/** Series are measurements (src/measure/series.ts); re-exported for the report's readers of results.json. */
export type { Series, SeriesPoint } from '../measure/series.ts';

/** A sentinel verification as stored (the per-write log is left out; lost seqs are kept). */
export type SentinelResult = SentinelVerification;

export interface ScenarioResult {
  id: string;
  title: string;
  suite?: string;
  status: ScenarioStatus;
  /** Why it errored or was skipped (always present then). */
  reason?: string;
  startedAt: number;
  endedAt: number;
  verdicts: Verdict[];
  timeline: TimelineEvent[];
  intervals: TimelineInterval[];
  probes: ScenarioProbe[];
  sentinels: SentinelResult[];
  series: Series[];
  /** Free-form observations for the closing note (e.g. "PDB kept 2 of 3 replicas"). */
  notes: string[];
}

export interface RunResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  runId: string;
  title?: string;
  /** `synthetic` data (tests, samples) is labelled as such on every page and table. */
  dataOrigin: 'measured' | 'synthetic';
  startedAt: number;
  endedAt: number;
  provider?: string;
  profile?: string;
  environment?: string;
  tool: { name: string; version: string };
  host?: { platform: string; node: string; cpus: number };
  scenarios: ScenarioResult[];
}

// Reading a results.json back: the parts the renderers rely on are checked; measured detail passes through.
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
const verdictSchema = loose({
  targetId: z.string(),
  metric: z.string(),
  measured: z.number().nullable(),
  unit: z.string(),
  limit: z.number().nullable(),
  margin: z.number().nullable(),
  verdict: z.enum(['pass', 'fail', 'skipped']),
  source: loose({ doc: z.string(), section: z.string(), label: z.string() }),
});
const scenarioSchema = loose({
  id: z.string(),
  title: z.string(),
  status: z.enum(SCENARIO_STATUSES),
  startedAt: z.number(),
  endedAt: z.number(),
  verdicts: z.array(verdictSchema),
  timeline: z.array(loose({ at: z.number(), type: z.string(), source: z.string() })),
  intervals: z.array(loose({ name: z.string(), durationMs: z.number() })),
  probes: z.array(loose({ summary: loose({ name: z.string(), attempts: z.number() }), attempts: z.array(loose({ startedAt: z.number(), endedAt: z.number(), ok: z.boolean() })) })),
  sentinels: z.array(loose({ rpoMs: z.number(), lostAcked: z.array(z.number()) })),
  series: z.array(loose({ name: z.string(), points: z.array(loose({ at: z.number(), value: z.number() })) })),
  notes: z.array(z.string()),
});
const resultsSchema = loose({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  dataOrigin: z.enum(['measured', 'synthetic']),
  startedAt: z.number(),
  endedAt: z.number(),
  tool: loose({ name: z.string(), version: z.string() }),
  scenarios: z.array(scenarioSchema),
});

/** Parses and checks a results.json text; `where` names the file in errors. */
export function parseRunResults(text: string, where = 'results.json'): RunResults {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${where} is not valid JSON: ${(error as Error).message}`, { hint: 'The run may have been interrupted while writing; re-run the scenarios.', cause: error });
  }
  const parsed = resultsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${where} is not a prodlike results file (schema ${RESULTS_SCHEMA_VERSION}): ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`, {
      hint: 'It was written by another prodlike version or edited by hand; re-run the scenarios to produce a new one.',
    });
  }
  return parsed.data as unknown as RunResults;
}
