import { cpus } from 'node:os';
import { join } from 'node:path';
import type { EventBus } from '../core/events.ts';
import { PACKAGE_VERSION } from '../core/paths.ts';
import { JournalWriter } from './journal-writer.ts';
import { REPORT_FILES, writeRunReport, type RunReportFiles } from './report-writer.ts';
import { createRunDirectory } from './run-directory.ts';
import { RESULTS_SCHEMA_VERSION, type RunResults, type ScenarioResult } from './run-results.ts';

export interface RunRecorderOptions {
  /** Default `runs`. */
  root?: string;
  /** Suffix of the run id (e.g. the suites run). */
  id?: string;
  /** Journal every event of this bus from now on. */
  bus?: EventBus;
  /** Values to redact from every file (passwords, tokens, keys of the environment). */
  secrets?: readonly string[];
  title?: string;
  provider?: string;
  profile?: string;
  environment?: string;
  dataOrigin?: RunResults['dataOrigin'];
  now?: Date;
}

/**
 * One run's output folder `runs/<timestamp>-<id>/`: opens journal.ndjson at start (fed by the bus), collects
 * scenario results, and writes results.json, junit.xml and report.html at `finish()`.
 */
export class RunRecorder {
  readonly runId: string;
  readonly path: string;
  readonly startedAt: number;
  readonly journal: JournalWriter;
  readonly scenarios: ScenarioResult[] = [];
  readonly #options: RunRecorderOptions;
  readonly #detach: (() => void) | undefined;

  private constructor(dir: { runId: string; path: string; startedAt: number }, options: RunRecorderOptions) {
    this.runId = dir.runId;
    this.path = dir.path;
    this.startedAt = dir.startedAt;
    this.#options = options;
    this.journal = new JournalWriter(join(dir.path, REPORT_FILES.journal), { secrets: options.secrets ?? [] });
    this.#detach = options.bus ? this.journal.attach(options.bus) : undefined;
  }

  static async start(options: RunRecorderOptions = {}): Promise<RunRecorder> {
    const dir = await createRunDirectory({ ...(options.root ? { root: options.root } : {}), ...(options.id ? { id: options.id } : {}), ...(options.now ? { now: options.now } : {}) });
    return new RunRecorder(dir, options);
  }

  addScenario(result: ScenarioResult): void {
    this.scenarios.push(result);
  }

  results(endedAt = Date.now()): RunResults {
    const o = this.#options;
    return {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      runId: this.runId,
      ...(o.title ? { title: o.title } : {}),
      dataOrigin: o.dataOrigin ?? 'measured',
      startedAt: this.startedAt,
      endedAt,
      ...(o.provider ? { provider: o.provider } : {}),
      ...(o.profile ? { profile: o.profile } : {}),
      ...(o.environment ? { environment: o.environment } : {}),
      tool: { name: 'prodlike', version: PACKAGE_VERSION },
      host: { platform: `${process.platform}-${process.arch}`, node: process.versions.node, cpus: cpus().length },
      scenarios: [...this.scenarios],
    };
  }

  /** Writes the report files and closes the journal. */
  async finish(): Promise<RunReportFiles & { results: string; journal: string; run: RunResults }> {
    const run = this.results();
    this.#detach?.();
    this.journal.close();
    const files = await writeRunReport(this.path, run, { secrets: this.#options.secrets ?? [] });
    return { ...files, journal: this.journal.path, run };
  }
}
