import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { CHECK_REPORT_VERSION, parseAllocatable, runCheck, type CheckReport } from './check.ts';
import { formatTable, toSarif } from './format.ts';
import { RULES } from './rules/index.ts';
import { configSchema } from '../config/schema.ts';
import { CONFIG, profile, workload } from './test-helpers.ts';

const MANIFESTS = `${workload({ name: 'backend', replicas: 3 })}---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: backend-hpa, namespace: app-backend }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: backend }
  minReplicas: 2
  maxReplicas: 10
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } } }]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: backend-pdb, namespace: app-backend }
spec:
  minAvailable: 2
  selector: { matchLabels: { app: backend } }
`;

async function report(extra: { localCluster?: boolean } = { localCluster: true }): Promise<CheckReport> {
  const dir = await mkdtemp(join(tmpdir(), 'prodlike-check-'));
  await writeFile(join(dir, 'app.yaml'), MANIFESTS);
  return runCheck({ manifestsPath: dir, selected: await profile('onprem'), config: CONFIG, baseDir: dir, ...extra });
}

describe('check report (JSON envelope, docs/check.md)', () => {
  it('is versioned and stable: version, tool, profile, manifests, options, findings, coverage, summary', async () => {
    const r = await report();
    expect(Object.keys(r)).toEqual(['version', 'tool', 'profile', 'manifests', 'options', 'findings', 'coverage', 'summary']);
    expect(r.version).toBe(CHECK_REPORT_VERSION);
    expect(r.profile).toEqual({ name: 'onprem', title: 'On-prem in-cluster architecture', documents: ['001'] });
    expect(r.manifests).toMatchObject({ renderedWith: 'files', objects: 3, files: ['app.yaml'] });
    expect(r.options).toMatchObject({ allocatable: { cpu: '2', memory: '24Gi' }, localCluster: true, podCidr: '10.244.0.0/16', loadtests: [] });
    expect(r.summary).toMatchObject({ error: 1, exitCode: 1, rules: RULES.map((x) => x.id) });
    const f = r.findings.find((x) => x.ruleId === 'pdb-min-available-blocks-eviction')!;
    expect(Object.keys(f)).toEqual(['ruleId', 'severity', 'message', 'hint', 'objects', 'targets', 'details']);
    expect(f.objects[0]).toEqual({ kind: 'PodDisruptionBudget', namespace: 'app-backend', name: 'backend-pdb', location: { file: 'app.yaml', line: MANIFESTS.split('\n').indexOf('kind: PodDisruptionBudget') } }); // the apiVersion line
    expect(Object.keys(f.targets[0]!)).toEqual(['type', 'component', 'value', 'source', 'reference']);
  });

  it('renders a table with the details, documents and fixes', async () => {
    const text = formatTable(await report());
    expect(text).toMatch(/✖ 1 +pdb-min-available-blocks-eviction/);
    expect(text).toMatch(/target: minAvailable 2 — doc 001 \(On-Premise \(In-Cluster\) Architecture\) §High Availability › 3\. Pod Disruption Budgets/);
    expect(text).toMatch(/fix: +Keep the budget below the minimum scale/);
    expect(text).toMatch(/1 error, \d+ warnings?, \d+ info · exit 1/);
  });

  it('has a coverage section: each target with the workloads it was applied to, or why not and how to map one', async () => {
    const r = await report({});
    expect(r.options).toMatchObject({ allocatable: null, localCluster: false });
    const byId = new Map(r.coverage.entries.map((e) => [e.id ?? `${e.type}:${e.component}`, e]));
    expect(byId.get('pods.rto')).toMatchObject({ status: 'evaluated', workloads: [{ kind: 'Deployment', namespace: 'app-backend', name: 'backend', how: 'application workload' }] });
    expect(byId.get('postgres.restore.rpo')).toMatchObject({ status: 'not-evaluated', workloads: [], note: expect.stringMatching(/no workload found for postgres; map one in prodlike\.yaml: check: \{ components: \{ postgres: \[statefulset\/<name>\] \} \}/) });
    expect(byId.get('api.latency')).toMatchObject({ status: 'runtime' });
    expect(byId.get('disruptionBudget:backend')).toMatchObject({ status: 'evaluated', findings: 1 });
    expect(r.coverage.capacity).toMatch(/not evaluated: no cluster described/);
    expect(r.findings.map((f) => f.ruleId)).toContain('data-store-target-unmatched');
    const text = formatTable(r);
    expect(text).toMatch(/coverage \(/);
    expect(text).toMatch(/✖ postgres\.restore\.rpo \(max 24h, postgres\) → no workload found for postgres/);
    expect(text).toMatch(/✔ pods\.rto \(max 2m, application-pods\) → backend · 1 finding/);
    expect(text).toMatch(/data stores recognised: none/);
    expect(toSarif(r)).toMatchObject({ runs: [{ properties: { coverage: { entries: expect.any(Array) } } }] });
  });

  it('compares capacity with check.allocatable of prodlike.yaml when no --allocatable is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-check-'));
    await writeFile(join(dir, 'app.yaml'), MANIFESTS);
    const config = configSchema.parse({ check: { allocatable: { cpu: 48, memory: '180Gi' } } });
    const r = await runCheck({ manifestsPath: dir, selected: await profile('onprem'), config, baseDir: dir });
    expect(r.options.allocatable).toEqual({ cpu: '48', memory: '180Gi', source: 'check.allocatable in prodlike.yaml' });
    expect(r.coverage.capacity).toBe('compared with check.allocatable in prodlike.yaml');
  });

  it('parses --allocatable', () => {
    expect(parseAllocatable('cpu=4,memory=16Gi')).toMatchObject({ cpu: 4000, memory: 16 * 2 ** 30 });
    expect(() => parseAllocatable('cpu=4')).toThrow(/cpu=<quantity>,memory=<quantity>/);
  });
});

// The official SARIF 2.1.0 schema (2.1.0-rtm.5, JSON Schema draft-04) ships in @microsoft/jest-sarif; a
// draft-04 validator is ajv@6 (or ajv@8 + ajv-draft-04). PRODLIKE_SARIF_SCHEMA points at another copy.
const require = createRequire(import.meta.url);
function findSchema(): string | undefined {
  const candidates = [process.env.PRODLIKE_SARIF_SCHEMA, join(PACKAGE_ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json')];
  return candidates.find((c): c is string => Boolean(c && existsSync(c)));
}
type Validate = ((data: unknown) => boolean) & { errors?: unknown };
function draft04Validator(schema: object): Validate | string {
  try {
    const Ajv04 = require('ajv-draft-04') as { default?: new (o: object) => { compile: (s: object) => Validate } };
    const Ctor = Ajv04.default ?? (Ajv04 as unknown as new (o: object) => { compile: (s: object) => Validate });
    // The official schema has a pattern that is not valid in unicode mode, and uses formats ajv needs a plugin for.
    return new Ctor({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false, logger: false }).compile(schema);
  } catch {
    // fall through to ajv@6
  }
  try {
    const version = (require('ajv/package.json') as { version: string }).version;
    if (!version.startsWith('6.')) return `ajv@${version} has no draft-04 support; install ajv-draft-04`;
    const Ajv = require('ajv') as new (o: object) => { addMetaSchema: (s: object) => void; compile: (s: object) => Validate };
    const ajv = new Ajv({ allErrors: true, schemaId: 'auto', validateSchema: false });
    ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json') as object);
    return ajv.compile(schema);
  } catch (error) {
    return `no JSON Schema validator (ajv): ${(error as Error).message.split('\n')[0]}`;
  }
}
const schemaPath = findSchema();
const validator = schemaPath ? draft04Validator(JSON.parse(readFileSync(schemaPath, 'utf8')) as object) : 'SARIF 2.1.0 schema not installed (npm install -D @microsoft/jest-sarif, or set PRODLIKE_SARIF_SCHEMA)';
const skipReason = typeof validator === 'string' ? validator : undefined;

describe('SARIF output', () => {
  it('has one run with every rule, and a result per finding with levels and locations', async () => {
    const r = await report();
    const sarif = toSarif(r) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string; ruleIndex: number; locations: unknown[] }> }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(sarif.runs[0]!.results).toHaveLength(r.findings.length);
    const first = sarif.runs[0]!.results[0]!;
    expect(first).toMatchObject({ ruleId: 'pdb-min-available-blocks-eviction', level: 'error' });
    expect(sarif.runs[0]!.tool.driver.rules[first.ruleIndex]!.id).toBe(first.ruleId);
  });

  it.skipIf(skipReason !== undefined)(`validates against the SARIF 2.1.0 JSON schema${skipReason ? ` (skipped: ${skipReason})` : ''}`, async () => {
    const validate = validator as Validate;
    const ok = validate(toSarif(await report()));
    expect(validate.errors ?? null).toBeNull();
    expect(ok).toBe(true);
    // and the validator does reject a broken log
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
  });
});
