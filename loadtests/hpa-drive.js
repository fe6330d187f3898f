// CPU load for the backend HPA: POST <WORK_PATH>?ms=WORK_MS (default /api/work, the reference app's) burns that much CPU per request in the
// backend (in 10 ms slices, so probes are still answered). Constant arrival rate by default; with
// STAGES (JSON list of {target, duration}) a ramping arrival rate instead, e.g.
//   STAGES='[{"target":20,"duration":"1m"},{"target":20,"duration":"3m"}]'
// Offered CPU = RATE x WORK_MS ms per second: 10/s x 100 ms = one core.
//
// NEW_CONNECTIONS=1 opens a new connection per request, so kube-proxy spreads the load over the pods
// the Service has *now* (with keep-alive, a connection stays on the pod it first reached and pods
// added by the HPA would get no share: one k6 host looks like a few long-lived clients).
//
// Env: BASE_URL, WORK_PATH, RATE (requests/s), DURATION, WORK_MS, STAGES, VUS, MAX_VUS, NEW_CONNECTIONS,
// THRESHOLDS, SUMMARY_PATH.
import http from 'k6/http';
import { check } from 'k6';
import { TREND_STATS, BASE_URL, num, str, thresholdsFromEnv, writeSummary } from './lib/harness.js';

const RATE = num('RATE', 10);
const DURATION = str('DURATION', '3m');
const WORK_MS = num('WORK_MS', 100);
const WORK_PATH = str('WORK_PATH', '/api/work');
const PRE_VUS = num('VUS', Math.max(10, Math.ceil(RATE * 2)));
const MAX_VUS = Math.max(PRE_VUS, num('MAX_VUS', Math.max(50, Math.ceil(RATE * 20))));
const STAGES = __ENV.STAGES ? JSON.parse(__ENV.STAGES) : undefined;

const scenario = STAGES
  ? { executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', stages: STAGES, preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS, gracefulStop: '30s' }
  : { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: DURATION, preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS, gracefulStop: '30s' };

export const options = {
  scenarios: { cpu: scenario },
  thresholds: thresholdsFromEnv(),
  summaryTrendStats: TREND_STATS,
  tags: { script: 'hpa-drive' },
  noConnectionReuse: __ENV.NEW_CONNECTIONS === '1',
};

export default function () {
  const res = http.post(`${BASE_URL}${WORK_PATH}?ms=${WORK_MS}`, null, { tags: { name: 'work' }, timeout: '30s' });
  check(res, { 'work: 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return writeSummary(data);
}
