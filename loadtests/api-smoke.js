// API smoke: a few closed-loop virtual users walk the main paths once per iteration: frontend page,
// list executions, submit one, read it back. Quick proof that the entry point, backend and database
// answer, with latency thresholds from the target profile.
//
// Env: BASE_URL, VUS, DURATION, THRESHOLDS, SUMMARY_PATH.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { BASE_URL, JSON_HEADERS, TREND_STATS, num, str, thresholdsFromEnv, writeSummary } from './lib/harness.js';

export const options = {
  scenarios: {
    smoke: { executor: 'constant-vus', vus: num('VUS', 2), duration: str('DURATION', '15s'), gracefulStop: '10s' },
  },
  thresholds: thresholdsFromEnv(),
  summaryTrendStats: TREND_STATS,
  tags: { script: 'api-smoke' },
};

export default function () {
  const page = http.get(`${BASE_URL}/`, { tags: { name: 'frontend' } });
  check(page, { 'frontend: 200': (r) => r.status === 200 });
  const list = http.get(`${BASE_URL}/api/executions?limit=5`, { tags: { name: 'list' } });
  check(list, { 'list: 200 with items': (r) => r.status === 200 && Array.isArray(r.json('items')) });
  const res = http.post(`${BASE_URL}/api/executions`, JSON.stringify({ workflowId: 'k6-smoke', userId: 'k6-api-smoke', workUnits: 1, payloadSize: 256 }), { headers: JSON_HEADERS, tags: { name: 'submit' } });
  if (check(res, { 'submit: 202': (r) => r.status === 202 })) {
    const s = http.get(`${BASE_URL}/api/executions/${res.json('id')}`, { tags: { name: 'status' } });
    check(s, { 'status: 200 with a status': (r) => r.status === 200 && typeof r.json('status') === 'string' });
  }
  sleep(0.5);
}

export function handleSummary(data) {
  return writeSummary(data);
}
