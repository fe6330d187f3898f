import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, describeResources, docker, dockerSkipReason, labelledResources, makeProject, removeEnvironment, removeTempDirs, type TestProject, upOnFreeEntry } from '../../safety/testing/docker-env.ts';

/**
 * Exposure (issue #11): after `prodlike up --provider docker`, every port the environment publishes is
 * bound to 127.0.0.1 in Docker's configuration, and the host's listening sockets (`ss -ltnH`) on those
 * ports are all 127.0.0.1: nothing of the environment listens on 0.0.0.0, [::] or another address.
 */
const ssMissing = await execa('ss', ['-V'], { reject: false }).then((r) => r.exitCode !== 0, () => true);
const skipReason = (await dockerSkipReason()) || (ssMissing ? '`ss` (iproute2) is not installed' : '');
afterAll(removeTempDirs);

interface Listener { address: string; port: number }

/** `ss -ltnH` lines: State Recv-Q Send-Q Local-Address:Port Peer-Address:Port … */
function parseSs(out: string): Listener[] {
  return out.split('\n').filter(Boolean).map((line) => {
    const local = line.trim().split(/\s+/)[3] ?? '';
    const i = local.lastIndexOf(':');
    return { address: local.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, ''), port: Number(local.slice(i + 1)) };
  });
}

describe.skipIf(Boolean(skipReason))(`nothing listens beyond 127.0.0.1${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await makeProject(`safety-exp-${process.pid}`);
    const up = await upOnFreeEntry(project, ['--provider', 'docker']);
    expect(up.exitCode, up.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (!project) return;
    await cli(project, ['down']);
    await removeEnvironment(project.name);
    expect(describeResources(await labelledResources(project.name))).toEqual([]);
  }, 120_000);

  it('every published port is bound to 127.0.0.1, and only there, on the host', async () => {
    const published: { container: string; port: number; hostIp: string }[] = [];
    for (const c of (await labelledResources(project.name)).containers) {
      const info = await docker.getContainer(c.Id).inspect();
      for (const bindings of Object.values(info.HostConfig.PortBindings ?? {}) as { HostIp: string; HostPort: string }[][]) {
        for (const b of bindings ?? []) expect(b.HostIp, `${info.Name} is configured to publish on ${b.HostIp || 'every address'}`).toBe('127.0.0.1');
      }
      for (const bindings of Object.values(info.NetworkSettings.Ports ?? {})) {
        for (const b of bindings ?? []) published.push({ container: info.Name, port: Number(b.HostPort), hostIp: b.HostIp });
      }
    }
    // 7 containers (small replica counts), each publishing one port.
    expect(published.length).toBeGreaterThanOrEqual(6);
    expect(published.map((p) => p.port)).toContain(project.entry);

    const listeners = parseSs((await execa('ss', ['-ltnH'])).stdout);
    for (const p of published) {
      expect(p.hostIp, `${p.container}:${p.port}`).toBe('127.0.0.1');
      const onPort = listeners.filter((l) => l.port === p.port);
      expect(onPort.length, `nothing listens on ${p.port} (${p.container})`).toBeGreaterThan(0);
      expect(onPort.map((l) => l.address), `${p.container} port ${p.port}`).toEqual(onPort.map(() => '127.0.0.1'));
    }
    process.stdout.write(`checked ${published.length} published ports: ${published.map((p) => `${p.container.replace(/^\/prodlike-[^-]+-[^-]+-\d+-/, '')}=127.0.0.1:${p.port}`).join(', ')}\n`);
  });

  it('the entry point answers on 127.0.0.1', async () => {
    expect((await fetch(`http://127.0.0.1:${project.entry}/api/health/ready`)).status).toBe(200);
  });
});
