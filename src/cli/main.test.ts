import { execa } from 'execa';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../core/paths.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
const prodlike = (args: string[], cwd = PACKAGE_ROOT) => execa('node', [BIN, ...args], { cwd, reject: false, env: { CI: 'true' } });

describe('prodlike CLI', () => {
  it('lists every subcommand in --help with the exit codes', async () => {
    const r = await prodlike(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['setup', 'up', 'down', 'status', 'logs', 'connect', 'kubeconfig', 'run', 'load', 'check', 'doctor', 'report']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    expect(r.stdout).toContain('1 a documented target was missed');
  });

  it('ends quietly when its reader stops early (prodlike --help | true): no EPIPE stack trace, exit 0', async () => {
    // `true` exits without reading: every write of the help text goes to a closed pipe.
    const r = await execa('bash', ['-c', `set -o pipefail; node '${BIN}' --help | true`], { cwd: PACKAGE_ROOT, reject: false, env: { CI: 'true' } });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.exitCode).toBe(0);
  });

  it('explains each subcommand in its own --help', async () => {
    const r = await prodlike(['setup', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Idempotent/);
    expect(r.stdout).toMatch(/--kind/);
  });

  it('explains logs in its --help, with an example', async () => {
    const logs = await prodlike(['logs', '--help']);
    expect(logs.stdout).toMatch(/across all its replicas/);
    expect(logs.stdout).toMatch(/--since <duration>/);
    expect(logs.stdout).toContain('$ prodlike logs backend -f');
  });

  it('explains connect in its --help, with an example', async () => {
    const connect = await prodlike(['connect', '--help']);
    expect(connect.stdout).toMatch(/PGPASSWORD, REDISCLI_AUTH/);
    expect(connect.stdout).toContain('$ prodlike connect postgres');
  });

  it('explains kubeconfig in its --help, with an example', async () => {
    const kubeconfig = await prodlike(['kubeconfig', '--help']);
    expect(kubeconfig.stdout).toContain('--export');
    expect(kubeconfig.stdout).toContain('$ eval "$(prodlike kubeconfig --export)"');
  });

  it('kubeconfig on a docker environment: there is no Kubernetes, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-cli-'));
    await writeFile(join(dir, 'prodlike.yaml'), 'name: cli-no-kube\nprovider: docker\nimageSource: offline\n');
    const r = await prodlike(['kubeconfig'], dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/docker provider: there is no Kubernetes/);
  });

  it('exits 2 on a config typo, naming file, key path and allowed keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-cli-'));
    await writeFile(join(dir, 'prodlike.yaml'), 'topology:\n  backend:\n    replics: 3\n');
    const r = await prodlike(['doctor'], dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('prodlike.yaml:3:5: topology.backend.replics: unknown key "replics" (did you mean "replicas"?)');
    expect(r.stderr).toContain('allowed: enabled, replicas');
  });

  it('exits 2 on an unknown option or command', async () => {
    expect((await prodlike(['up', '--provder', 'kind'])).exitCode).toBe(2);
    expect((await prodlike(['launch'])).exitCode).toBe(2);
  });

  it('says clearly when a suite does not exist or is not built yet, exit 2, without running anything', async () => {
    const unknown = await prodlike(['run', 'chaos-monkey']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown suite "chaos-monkey"/);
  });

  it('prints errors as JSON with --json', async () => {
    const r = await prodlike(['run', 'chaos-monkey', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });

  it('prints the JSON schema of prodlike.yaml', async () => {
    const r = await prodlike(['schema']);
    const schemas = JSON.parse(r.stdout) as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(schemas['prodlike.schema.json']!.properties)).toEqual(expect.arrayContaining(['provider', 'imageSource', 'topology', 'targets']));
  });
});
