// Execution load (document 000's execution model): executions are submitted at a constant arrival rate
// (an open model: a slow API does not slow the arrivals down, so latency is not hidden by coordinated
// omission), then each one is polled until it settles, with a bounded number of polls.
//
// Measured: submit and status latency (http_req_duration{name:submit|status}), queue wait
// (startedAt - createdAt), end-to-end time (completedAt - createdAt) and run time, all from the
// server's own timestamps (one PostgreSQL clock), success rate, artifacts recorded.
//
// Env: BASE_URL, RATE (executions/s, may be fractional), DURATION (arrival window), VUS (pre-allocated), MAX_VUS,
//      POLL_INTERVAL_MS, MAX_POLLS, WORK_UNITS, PAYLOAD_SIZE, TIER, THRESHOLDS (JSON), SUMMARY_PATH.
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { BASE_URL, JSON_HEADERS, TREND_STATS, num, seconds, str, thresholdsFromEnv, writeSummary } from './lib/harness.js';

const RATE = num('RATE', 2);
// k6's arrival rate is a whole number per timeUnit: a fractional RATE (Job mode on kind runs 0.2/s) is
// sent as RATE × 60 arrivals per minute, spread evenly like any constant arrival rate.
const PER_SECOND = Number.isInteger(RATE);
const ARRIVALS = PER_SECOND ? RATE : Math.max(1, Math.round(RATE * 60));
const TIME_UNIT = PER_SECOND ? '1s' : '60s';
const DURATION = str('DURATION', '60s');
const POLL_INTERVAL_MS = num('POLL_INTERVAL_MS', 250);
const MAX_POLLS = num('MAX_POLLS', 120);
const WORK_UNITS = num('WORK_UNITS', 5);
const PAYLOAD_SIZE = num('PAYLOAD_SIZE', 4096);
const TIER = str('TIER', 'standard');
const PRE_VUS = num('VUS', Math.max(5, Math.ceil(RATE * 3)));
const MAX_VUS = Math.max(PRE_VUS, num('MAX_VUS', Math.max(50, Math.ceil(RATE * 20))));

const submitted = new Counter('executions_submitted');
const completed = new Counter('executions_completed');
const failed = new Counter('executions_failed');
const unsettled = new Counter('executions_unsettled'); // still QUEUED/RUNNING after MAX_POLLS polls
const success = new Rate('execution_success');
const queueWait = new Trend('execution_queue_wait', true);
const endToEnd = new Trend('execution_e2e', true);
const runTime = new Trend('execution_run_time', true);
const polls = new Trend('execution_polls');

export const options = {
  scenarios: {
    executions: {
      executor: 'constant-arrival-rate',
      rate: ARRIVALS,
      timeUnit: TIME_UNIT,
      duration: DURATION,
      preAllocatedVUs: PRE_VUS,
      maxVUs: MAX_VUS,
      // Submissions stop at DURATION; executions already submitted may finish their polling.
      gracefulStop: seconds((MAX_POLLS * POLL_INTERVAL_MS) / 1000 + 5),
    },
  },
  thresholds: thresholdsFromEnv(),
  summaryTrendStats: TREND_STATS,
  tags: { script: 'execution-load' },
};

export default function () {
  const body = JSON.stringify({
    workflowId: `k6-workflow-${exec.scenario.iterationInTest % 50}`,
    userId: 'k6-execution-load',
    tier: TIER,
    payloadSize: PAYLOAD_SIZE,
    workUnits: WORK_UNITS,
  });
  const res = http.post(`${BASE_URL}/api/executions`, body, { headers: JSON_HEADERS, tags: { name: 'submit' } });
  const accepted = check(res, { 'submit: 202 Accepted with an id': (r) => r.status === 202 && typeof r.json('id') === 'string' });
  if (!accepted) {
    success.add(false);
    return;
  }
  submitted.add(1);
  const id = res.json('id');
  for (let i = 1; i <= MAX_POLLS; i++) {
    sleep(POLL_INTERVAL_MS / 1000);
    const s = http.get(`${BASE_URL}/api/executions/${id}`, { tags: { name: 'status' } });
    if (s.status !== 200) continue; // counted by http_req_failed; keep polling
    const e = s.json();
    if (e.status !== 'COMPLETED' && e.status !== 'FAILED') continue;
    polls.add(i);
    const created = Date.parse(e.createdAt);
    if (e.startedAt) queueWait.add(Date.parse(e.startedAt) - created);
    if (e.status === 'FAILED') {
      failed.add(1);
      success.add(false);
      return;
    }
    completed.add(1);
    endToEnd.add(Date.parse(e.completedAt) - created);
    if (e.startedAt) runTime.add(Date.parse(e.completedAt) - Date.parse(e.startedAt));
    // The API serves the artifact's record (key, size, checksum), not its bytes: check the record.
    const stored = check(e, { 'artifact recorded with the submitted size': (x) => typeof x.artifactKey === 'string' && x.artifactSize === PAYLOAD_SIZE && typeof x.artifactSha256 === 'string' });
    success.add(stored);
    return;
  }
  polls.add(MAX_POLLS);
  unsettled.add(1);
  success.add(false);
}

export function handleSummary(data) {
  return writeSummary(data);
}
