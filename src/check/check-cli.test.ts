import { execa } from 'execa';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { workload } from './test-helpers.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
const prodlike = (args: string[], env: Record<string, string> = {}, extendEnv = true) =>
  execa(process.execPath, [BIN, ...args], { cwd: PACKAGE_ROOT, reject: false, env: { CI: 'true', ...env }, extendEnv, timeout: 60_000 });

const PDB = `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: postgres-pdb, namespace: app-backend }
spec:
  maxUnavailable: 0
  selector: { matchLabels: { app: postgres } }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prodlike-check-cli-'));
  await mkdir(join(dir, 'bad'));
  await mkdir(join(dir, 'clean'));
  await mkdir(join(dir, 'kustomize'));
  await writeFile(join(dir, 'bad', 'postgres.yaml'), workload({ kind: 'StatefulSet', name: 'postgres', container: '        - name: postgres\n          image: postgres:15-alpine' }) + PDB);
  await writeFile(join(dir, 'clean', 'web.yaml'), workload({ name: 'web', namespace: 'web', replicas: 2 }));
  await writeFile(join(dir, 'broken.yaml'), 'kind: Deployment\nmetadata: {name: x\n');
  await writeFile(join(dir, 'kustomize', 'kustomization.yaml'), 'resources: []\n');
  await mkdir(join(dir, 'values'));
  await writeFile(join(dir, 'values', 'values.yaml'), 'replicaCount: 2\nimage: { repository: web, tag: "1.0" }\n');
  await mkdir(join(dir, 'chart', 'templates'), { recursive: true });
  await writeFile(join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  await writeFile(join(dir, 'chart', 'templates', 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "web.fullname" . }}\n{{- if .Values.x }}\n  labels: {}\n{{- end }}\n');
  await writeFile(join(dir, 'template.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicaCount }}\n  {{- with .Values.x }}\n  x: 1\n  {{- end }}\n');
});

describe('prodlike check (CLI)', () => {
  it('exits 1 on an error-severity finding and prints the table', async () => {
    const r = await prodlike(['check', join(dir, 'bad')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/pdb-max-unavailable-zero/);
    expect(r.stdout).toMatch(/Never evict PostgreSQL/);
  }, 60_000);

  it('exits 0 without errors; --format json and --json print the documented envelope', async () => {
    const r = await prodlike(['check', join(dir, 'clean'), '--format', 'json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { version: number; summary: { error: number; exitCode: number } };
    expect(report).toMatchObject({ version: 1, summary: { error: 0, exitCode: 0 } });
    const j = await prodlike(['--json', 'check', join(dir, 'clean')]);
    expect(JSON.parse(j.stdout)).toMatchObject({ version: 1 });
  }, 60_000);

  it('prints SARIF 2.1.0 with --format sarif, for the selected profile', async () => {
    const r = await prodlike(['check', join(dir, 'bad'), '--format', 'sarif', '--profile', 'platform']);
    expect(r.exitCode).toBe(1);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: Array<{ properties: { profile: { name: string } } }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.properties.profile.name).toBe('platform');
  }, 60_000);

  it('exits 2 on bad input: invalid YAML, missing path, unknown profile, bad --allocatable', async () => {
    const [broken, missing, profile, allocatable] = await Promise.all([
      prodlike(['check', join(dir, 'broken.yaml')]),
      prodlike(['check', join(dir, 'nope')]),
      prodlike(['check', join(dir, 'clean'), '--profile', 'nosuch']),
      prodlike(['check', join(dir, 'clean'), '--allocatable', 'lots']),
    ]);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+: YAML syntax error/);
    expect(missing.stderr).toMatch(/Manifests not found/);
    expect(profile.stderr).toMatch(/Unknown target profile "nosuch"/);
    expect(allocatable.stderr).toMatch(/--allocatable "lots"/);
    expect([broken.exitCode, missing.exitCode, profile.exitCode, allocatable.exitCode]).toEqual([2, 2, 2, 2]);
  }, 90_000);

  it('never passes on what is not Kubernetes: Helm values, a chart, a template are exit 2 and explained; --format json prints the error as JSON', async () => {
    const [values, chart, template, json] = await Promise.all([
      prodlike(['check', join(dir, 'values')]),
      prodlike(['check', join(dir, 'chart')]),
      prodlike(['check', join(dir, 'template.yaml')]),
      prodlike(['check', join(dir, 'values'), '--format', 'json']),
    ]);
    expect([values.exitCode, chart.exitCode, template.exitCode, json.exitCode]).toEqual([2, 2, 2, 2]);
    expect(values.stderr).toMatch(/No Kubernetes objects in .*values: 1 YAML file read/);
    expect(values.stderr).toMatch(/looks? like Helm values.*helm template/s);
    expect(chart.stderr).toMatch(/is a Helm chart .*helm template/s);
    expect(template.stderr).toMatch(/is a Helm\/Go template/);
    expect(template.stderr).not.toMatch(/YAML syntax error/);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: expect.any(String), message: expect.stringMatching(/No Kubernetes objects/) } });
  }, 90_000);

  it('exits 3 with a clear message when a kustomize directory needs kubectl and there is none', async () => {
    const r = await prodlike(['check', join(dir, 'kustomize')], { PATH: join(dir, 'no-bin'), PRODLIKE_CACHE: join(dir, 'no-cache'), HOME: dir }, false);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/kubectl was not found/);
    expect(r.stderr).toMatch(/prodlike setup --kind|plain YAML/);
  }, 60_000);
});
