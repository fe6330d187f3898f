import { describe, expect, it } from 'vitest';
import { minioArchivedRule, parseImage, pullAlwaysRule, unpinnedImageRule } from './rules/images.ts';
import { k6ThresholdRule, parseK6Thresholds } from './rules/k6.ts';
import { CONFIG, profile, runRule, testProfile, workload } from './test-helpers.ts';

const withImage = (image: string, policy = '') => workload({
  name: 'web',
  container: `        - name: web
          image: ${image}
${policy ? `          imagePullPolicy: ${policy}\n` : ''}`,
});

describe('image-unpinned', () => {
  const sel = testProfile({});
  it('fails on :latest and on no tag', () => {
    expect(runRule(unpinnedImageRule, withImage('acr.azurecr.io/backend:latest'), sel)).toHaveLength(1);
    expect(runRule(unpinnedImageRule, withImage('localhost:5000/backend'), sel)[0]!.message).toMatch(/has no tag/);
  });
  it('passes pinned tags and digests (a registry port is not a tag)', () => {
    expect(runRule(unpinnedImageRule, withImage('postgres:15-alpine'), sel)).toEqual([]);
    expect(runRule(unpinnedImageRule, withImage(`backend@sha256:${'a'.repeat(64)}`), sel)).toEqual([]);
    expect(parseImage('localhost:5000/backend')).toEqual({ repository: 'localhost:5000/backend' });
  });
});

describe('image-pull-always-local', () => {
  const sel = testProfile({});
  it('fails on Always in a local (kind) cluster, set or defaulted by :latest', () => {
    expect(runRule(pullAlwaysRule, withImage('postgres:15-alpine', 'Always'), sel)).toHaveLength(1);
    expect(runRule(pullAlwaysRule, withImage('backend:latest'), sel)[0]!.details).toMatchObject({ defaulted: true });
  });
  it('passes IfNotPresent/pinned, and any policy with the docker provider', () => {
    expect(runRule(pullAlwaysRule, withImage('postgres:15-alpine'), sel)).toEqual([]);
    expect(runRule(pullAlwaysRule, withImage('postgres:15-alpine', 'IfNotPresent'), sel)).toEqual([]);
    expect(runRule(pullAlwaysRule, withImage('postgres:15-alpine', 'Always'), sel, { config: { ...CONFIG, provider: 'docker' } })).toEqual([]);
  });
});

describe('object-store-minio-archived', () => {
  const sel = testProfile({});
  it('informs once, listing every workload running a MinIO image, with alternatives', () => {
    const f = runRule(minioArchivedRule, withImage('quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z') + workload({ name: 'mc', container: '        - name: mc\n          image: minio/mc:RELEASE.2025-08-13T08-35-41Z' }), sel);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'info', details: { alternatives: ['SeaweedFS', 'Garage', 'Ceph RGW'] } });
    expect(f[0]!.objects).toHaveLength(2);
  });
  it('says nothing without MinIO', () => {
    expect(runRule(minioArchivedRule, withImage('chrislusf/seaweedfs:3.80'), sel)).toEqual([]);
  });
});

describe('k6-threshold-looser-than-slo', () => {
  const script = (threshold: string) => ({ file: 'loadtests/api.js', text: `import http from 'k6/http';\nexport const options = {\n  thresholds: {\n    http_req_duration: ['${threshold}', 'p(99)<1500'],\n    http_req_failed: ['rate<0.01'],\n  },\n};\n` });
  it("fails when p(95) is looser than the profile's latency-p95 SLO (200 ms, document 004)", async () => {
    const f = runRule(k6ThresholdRule, '', await profile('platform'), { loadtests: [script('p(95)<500')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', details: { thresholdMs: 500, sloMs: 200, line: 4 } });
  });
  it('passes a threshold at or under the SLO, and says nothing without scripts or without an SLO', async () => {
    expect(runRule(k6ThresholdRule, '', await profile('platform'), { loadtests: [script('p(95)<200')] })).toEqual([]);
    expect(runRule(k6ThresholdRule, '', await profile('platform'), { loadtests: [] })).toEqual([]);
    expect(runRule(k6ThresholdRule, '', await profile('onprem'), { loadtests: [script('p(95)<5000')] })).toEqual([]);
  });
  it('parses quoted keys, tagged metrics and object thresholds', () => {
    expect(parseK6Thresholds(`"http_req_duration{expected_response:true}": [{ threshold: "p(95)<=300", abortOnFail: true }]`)).toMatchObject([{ percentile: 95, bound: 300, inclusive: true }]);
  });
});
