// Read-heavy traffic: the documented capacity shape (document 003, "Requests per Second: 1,000+").
// Reads at a constant arrival rate through the entry point: an execution by id (70 %), a filtered list
// (20 %) and the frontend's health endpoint (10 %). setup() submits a few executions to read.
//
// Env: BASE_URL, RATE (requests/s), DURATION, VUS, MAX_VUS, SEED_EXECUTIONS, THRESHOLDS, SUMMARY_PATH.
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { BASE_URL, JSON_HEADERS, TREND_STATS, num, str, thresholdsFromEnv, writeSummary } from './lib/harness.js';

const RATE = num('RATE', 1000);
const DURATION = str('DURATION', '30s');
const PRE_VUS = num('VUS', Math.max(10, Math.ceil(RATE / 10)));
const MAX_VUS = Math.max(PRE_VUS, num('MAX_VUS', Math.max(50, Math.ceil(RATE / 2))));
const SEED = num('SEED_EXECUTIONS', 20);

export const options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: PRE_VUS,
      maxVUs: MAX_VUS,
      gracefulStop: '10s',
    },
  },
  thresholds: thresholdsFromEnv(),
  summaryTrendStats: TREND_STATS,
  tags: { script: 'read-heavy' },
  setupTimeout: '60s',
};

export function setup() {
  const ids = [];
  for (let i = 0; i < SEED; i++) {
    const res = http.post(`${BASE_URL}/api/executions`, JSON.stringify({ workflowId: 'k6-read-heavy-seed', userId: 'k6-read-heavy', workUnits: 1, payloadSize: 256 }), { headers: JSON_HEADERS, tags: { name: 'seed' } });
    if (res.status === 202) ids.push(res.json('id'));
  }
  if (ids.length === 0) throw new Error(`setup: could not submit any execution to read (POST ${BASE_URL}/api/executions); is the environment up?`);
  return { ids };
}

export default function (data) {
  const n = exec.scenario.iterationInTest;
  const slot = n % 10;
  if (slot < 7) {
    const id = data.ids[n % data.ids.length];
    const res = http.get(`${BASE_URL}/api/executions/${id}`, { tags: { name: 'get' } });
    check(res, { 'get: 200': (r) => r.status === 200 });
  } else if (slot < 9) {
    const res = http.get(`${BASE_URL}/api/executions?status=COMPLETED&limit=10`, { tags: { name: 'list' } });
    check(res, { 'list: 200': (r) => r.status === 200 });
  } else {
    const res = http.get(`${BASE_URL}/health`, { tags: { name: 'health' } });
    check(res, { 'health: 200': (r) => r.status === 200 });
  }
}

export function handleSummary(data) {
  return writeSummary(data);
}
