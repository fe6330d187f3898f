import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTargets, selectProfile } from '../config/load-targets.ts';
import { profileSchema } from '../config/targets-schema.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { thresholdsFromProfile, thresholdsFromProfiles, type ScriptTraits } from './thresholds.ts';

const file = await loadTargets(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'));
const sel = (name: string) => {
  const s = selectProfile(file, name);
  return { name: s.name, profile: s.profile, file: s.file };
};
const EXECUTION_LOAD: ScriptTraits = { endpoints: ['submit', 'status'], metrics: ['execution_success', 'execution_e2e'], offeredRps: 9 };
const source = { doc: '003', section: 'Test' };
const profile = (targets: unknown[]) => profileSchema.parse({ title: 't', documents: ['003'], targets });

describe('thresholdsFromProfile', () => {
  it('performance profile (003) for execution-load: per-endpoint p95 SLOs, error-rate alert, latency alert on the aggregate', () => {
    const plan = thresholdsFromProfile(sel('performance'), EXECUTION_LOAD);
    expect(plan.thresholds).toEqual({
      'http_req_duration{name:submit}': [{ threshold: 'p(95)<200', abortOnFail: false }],
      'http_req_duration{name:status}': [{ threshold: 'p(95)<200', abortOnFail: false }],
      http_req_failed: [{ threshold: 'rate<0.05', abortOnFail: false }],
      execution_success: [{ threshold: 'rate>0.95', abortOnFail: false }],
      http_req_duration: [{ threshold: 'p(95)<500', abortOnFail: false }],
    });
    const submit = plan.mappings.find((m) => m.key === 'http_req_duration{name:submit}');
    expect(submit).toMatchObject({ targetId: 'api.p95', profile: 'performance', limit: 200, unit: 'ms', comparator: '<', label: 'submit p95' });
    expect(submit?.source).toMatch(/^doc 003 .*§Performance Targets/);
    expect(submit?.reference).toContain('API Response Time: < 200ms (95th percentile)');
    expect(plan.mappings.find((m) => m.key === 'execution_success')?.derivedFrom).toMatch(/alert.error-rate/);
    expect(plan.mappings.find((m) => m.key === 'http_req_failed')?.note).toMatch(/5m/);
  });

  it('throughput becomes an http_reqs rate threshold only when the run offers at least that rate', () => {
    const low = thresholdsFromProfile(sel('performance'), EXECUTION_LOAD);
    expect(low.thresholds.http_reqs).toBeUndefined();
    expect(low.unmapped).toContainEqual(expect.objectContaining({ targetId: 'throughput', reason: expect.stringMatching(/offers 9 req\/s, below the 1000 req\/s/) }));
    const high = thresholdsFromProfile(sel('performance'), { endpoints: ['get', 'list', 'health'], offeredRps: 1000 });
    expect(high.thresholds.http_reqs).toEqual([{ threshold: 'rate>=1000', abortOnFail: false }]);
    const closed = thresholdsFromProfile(sel('performance'), { endpoints: ['list'] });
    expect(closed.unmapped).toContainEqual(expect.objectContaining({ targetId: 'throughput', reason: expect.stringMatching(/closed-loop/) }));
  });

  it('takes a bare profile and, without endpoints, bounds the aggregate http_req_duration', () => {
    const plan = thresholdsFromProfile(selectProfile(file, 'platform').profile);
    expect(plan.thresholds).toEqual({ http_req_duration: [{ threshold: 'p(95)<200', abortOnFail: false }] });
    expect(plan.mappings[0]).toMatchObject({ label: 'all requests p95', targetId: 'api.p95' });
  });

  it('execution profile (000): the backlog goes to the queue sampler, unbounded targets are reported, error rate is a threshold', () => {
    const plan = thresholdsFromProfile(sel('execution'), EXECUTION_LOAD);
    expect(plan.unmapped).toEqual([expect.objectContaining({ targetId: 'queue.backlog', measuredBy: 'queue-sampler' })]);
    expect(plan.reported.map((r) => r.targetId).sort()).toEqual(['api.p95', 'executions.success-rate', 'executions.time-p95']);
    expect(Object.keys(plan.thresholds).sort()).toEqual(['execution_success', 'http_req_failed']);
  });

  it('ignores targets a load test cannot see (RTO, RPO, availability) and reports unbounded latency (onprem)', () => {
    const plan = thresholdsFromProfile(sel('onprem'), EXECUTION_LOAD);
    expect(plan.thresholds).toEqual({});
    expect(plan.unmapped).toEqual([]);
    expect(plan.reported).toEqual([expect.objectContaining({ targetId: 'api.latency', metric: 'latency-p95' })]);
  });

  it('does not put a latency SLO on deliberate CPU work (hpa-drive), but keeps the error rate', () => {
    const plan = thresholdsFromProfile(sel('performance'), { endpoints: ['work'], latencyExempt: { work: 'burns CPU by design' }, offeredRps: 15 });
    expect(Object.keys(plan.thresholds)).toEqual(['http_req_failed']);
    expect(plan.unmapped.filter((u) => u.metric === 'latency-p95').map((u) => u.targetId)).toEqual(['api.p95', 'alert.latency']);
  });

  it('maps latency-avg, success-rate min and execution-time-p95 max when the script measures them', () => {
    const plan = thresholdsFromProfile(profile([
      { id: 'avg', metric: 'latency-avg', component: 'api', max: '80ms', source },
      { id: 'ok', metric: 'success-rate', component: 'executions', min: '99.5%', source },
      { id: 'e2e', metric: 'execution-time-p95', component: 'executions', max: '2s', source },
      { id: 'rto', metric: 'rto', component: 'x', max: '1m', source },
    ]), EXECUTION_LOAD);
    expect(plan.thresholds).toEqual({
      'http_req_duration{name:submit}': [{ threshold: 'avg<80', abortOnFail: false }],
      'http_req_duration{name:status}': [{ threshold: 'avg<80', abortOnFail: false }],
      execution_success: [{ threshold: 'rate>=0.995', abortOnFail: false }],
      execution_e2e: [{ threshold: 'p(95)<2000', abortOnFail: false }],
    });
    const none = thresholdsFromProfile(profile([{ id: 'e2e', metric: 'execution-time-p95', component: 'executions', max: '2s', source }]), { endpoints: ['get'] });
    expect(none.unmapped[0]?.reason).toMatch(/does not run executions/);
  });

  it('writes fractions without float noise (0.1% -> rate<0.001, 99.9% -> rate>=0.999)', () => {
    const plan = thresholdsFromProfile(profile([
      { id: 'err', metric: 'error-rate', component: 'api', max: '0.1%', source },
      { id: 'ok', metric: 'success-rate', component: 'executions', min: '99.9%', source },
    ]), EXECUTION_LOAD);
    expect(plan.thresholds.http_req_failed).toEqual([{ threshold: 'rate<0.001', abortOnFail: false }]);
    expect(plan.thresholds.execution_success?.map((t) => t.threshold)).toEqual(['rate>0.999', 'rate>=0.999']);
  });

  it('merges several profiles: one k6 threshold per expression, every source kept', () => {
    const plan = thresholdsFromProfiles([sel('performance'), sel('execution')], EXECUTION_LOAD);
    expect(plan.thresholds.http_req_failed).toEqual([{ threshold: 'rate<0.05', abortOnFail: false }]);
    expect(plan.mappings.filter((m) => m.key === 'http_req_failed').map((m) => `${m.profile}:${m.targetId}`)).toEqual(['performance:alert.error-rate', 'execution:alert.error-rate']);
    for (const list of Object.values(plan.thresholds)) for (const t of list) expect(t.abortOnFail).toBe(false);
  });
});
