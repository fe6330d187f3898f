import { describe, expect, it } from 'vitest';
import { assertPlainEnv, runnerArguments, runnerIndex, testRunName, testRunObjects } from './testrun-manifests.ts';

/** A JSON object read by path in assertions. */
interface Tree { [key: string]: Tree }

const spec = {
  name: 'prodlike-k6x-read-heavy-abc', namespace: 'prodlike-load', envName: 'k6op', parallelism: 4,
  runnerImage: 'prodlike.local/k6:1.8.1', starterImage: 'prodlike.local/k6-operator:1.5.0', scriptName: 'read-heavy.js',
  files: { 'read-heavy.js': 'export default function () {}', 'lib/harness.js': '// harness' },
  env: { RATE: '100', DURATION: '20s', BASE_URL: 'http://frontend-service.app-frontend.svc.cluster.local' },
};

describe('testRunObjects', () => {
  const [configMap, testRun] = testRunObjects(spec) as unknown as [Tree, Tree];

  it('a labelled ConfigMap with the harness under a key without "/" and a TestRun of N runners on the local script', () => {
    expect(configMap.kind).toBe('ConfigMap');
    expect(Object.keys(configMap.data!)).toEqual(['read-heavy.js', 'lib__harness.js']);
    expect(testRun).toMatchObject({ apiVersion: 'k6.io/v1alpha1', kind: 'TestRun', metadata: { namespace: 'prodlike-load', labels: { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'k6op', 'io.prodlike.role': 'k6-testrun' } } });
    expect(testRun.spec!.parallelism).toBe(4);
    expect(testRun.spec!.script).toEqual({ localFile: '/scripts/read-heavy.js' });
    expect(testRun.spec!.runner!.volumes![0]!.configMap!.items).toEqual([{ key: 'read-heavy.js', path: 'read-heavy.js' }, { key: 'lib__harness.js', path: 'lib/harness.js' }]);
    expect(testRun.spec!.starter!.image).toBe('prodlike.local/k6-operator:1.5.0');
  });

  it('runners write raw samples to stdout and get no thresholds (they are judged merged)', () => {
    expect(testRun.spec!.arguments).toBe(runnerArguments());
    expect(runnerArguments().split(' ')).toEqual(['--out', 'json=-', '--system-tags=name,status,method,expected_response', '--no-usage-report']);
    const env = Object.fromEntries((testRun.spec!.runner!.env as unknown as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env.THRESHOLDS).toBeUndefined();
    expect(env).toMatchObject({ RATE: '100', BASE_URL: spec.env.BASE_URL, SUMMARY_PATH: '/tmp/k6-summary.json' });
  });

  it('refuses env the initializer would pass through sh -e NAME="value" wrongly', () => {
    expect(() => assertPlainEnv({ THRESHOLDS: '{"http_req_duration":["p(95)<200"]}' })).toThrow(/quotes/);
    expect(() => testRunObjects({ ...spec, env: { X: 'a$b' } })).toThrow();
  });
});

describe('names', () => {
  it('keeps the operator\'s derived names within 63 characters and reads the runner index from the Job name', () => {
    const name = testRunName('a-script-with-a-very-long-name-indeed.js', 1_900_000_000_000);
    expect(name.length).toBeLessThanOrEqual(40);
    expect(`${name}-service-20`.length).toBeLessThanOrEqual(63);
    expect(runnerIndex(name, `${name}-3`)).toBe(3);
    expect(runnerIndex(name, `${name}-initializer`)).toBeUndefined();
    expect(runnerIndex(name, undefined)).toBeUndefined();
  });
});
