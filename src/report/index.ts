// Run output (issue #8 "The report"): runs/<timestamp>-<id>/ with journal.ndjson, results.json, junit.xml, report.html.
export { COMPARED_METRICS, compareRuns, renderComparison, type ChangeKind, type CompareOptions, type MetricChange, type RunComparison } from './compare-runs.ts';
export { formatMargin, formatQuantity } from './format.ts';
export { renderHtmlReport } from './html-report.ts';
export { JournalWriter, readJournal } from './journal-writer.ts';
export { renderJunit } from './junit-writer.ts';
export { renderProbeChart, type ChartMarker } from './probe-chart.ts';
export { REDACTED, redact } from './redact.ts';
export { REPORT_FILES, readRunResults, rerenderRun, writeRunReport, type RunReportFiles } from './report-writer.ts';
export { createRunDirectory, listRuns, resolveRunDirectory, runTimestamp, type RunDirectory } from './run-directory.ts';
export { runOutcome, type RunOutcome } from './run-outcome.ts';
export { RunRecorder, type RunRecorderOptions } from './run-recorder.ts';
export { RESULTS_SCHEMA_VERSION, SCENARIO_STATUSES, parseRunResults, type RunResults, type ScenarioProbe, type ScenarioResult, type ScenarioStatus, type Series, type SeriesPoint } from './run-results.ts';
export { buildScenarioResult, type ScenarioInput } from './scenario-result.ts';
export { renderSeriesChart } from './series-chart.ts';
export { renderSummaryTable, type SummaryTableOptions } from './summary-table.ts';
