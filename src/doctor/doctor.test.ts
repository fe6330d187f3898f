import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.ts';
import type { RunResult } from '../core/exec.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { loadImageCatalog } from '../setup/image-catalog.ts';
import { networkPolicyCheck, runDoctor, type DoctorProbes } from './doctor.ts';

type Fake = Partial<DoctorProbes> & { commands?: Record<string, string | null> };

/** A fake host: `commands` maps "file arg0 arg1…" prefixes to stdout (null = fails). */
function probes(fake: Fake = {}): DoctorProbes {
  const commands = fake.commands ?? {};
  return {
    async run(file, args): Promise<RunResult | undefined> {
      const line = [file.split('/').pop(), ...args].join(' ');
      const key = Object.keys(commands).find((k) => line.startsWith(k));
      if (key === undefined) return undefined;
      const out = commands[key];
      return out === null ? { exitCode: 1, stdout: '', stderr: 'failed', durationMs: 1 } : { exitCode: 0, stdout: out ?? '', stderr: '', durationMs: 1 };
    },
    readText: async () => 'CapBnd:\t000001ffffffffff\n',
    freeBytes: async () => 80 * 2 ** 30,
    portFree: async () => true,
    registryReachable: async () => false,
    nodeVersion: '20.20.2',
    isRoot: true,
    env: { PRODLIKE_CACHE: '/tmp/prodlike-doctor-test' },
    ...fake,
  };
}

const everything: Record<string, string | null> = {
  'docker version --format {{.Client.Version}}': '28.2.2',
  'docker version --format {{.Server.Version}}': '20.10.24',
  'docker info': 'runc',
  'docker image inspect': 'sha256:abc',
  'kind version': 'kind v0.30.0 go1.26',
  'kubectl version': 'Client Version: v1.34.4',
  'k6 version': 'k6 v1.8.1',
  'go version': 'go version go1.26.8',
  'debootstrap --version': 'debootstrap 1.0.128',
};

async function doctor(fake: Fake, provider: 'kind' | 'docker' = 'docker') {
  const { config } = await loadConfig({ cwd: PACKAGE_ROOT, overrides: { provider } });
  return runDoctor({ config, probes: probes(fake), catalog: await loadImageCatalog() });
}

const check = (report: Awaited<ReturnType<typeof doctor>>, id: string) => report.checks.find((c) => c.id === id)!;

describe('doctor', () => {
  it('is ready when everything is present (docker and kind)', async () => {
    expect((await doctor({ commands: everything }, 'docker')).ready).toBe(true);
    const kind = await doctor({ commands: everything }, 'kind');
    expect(kind.ready).toBe(true);
    expect(kind.checks.map((c) => c.id)).toEqual(['node', 'docker', 'privileged', 'kind', 'kubectl', 'k6', 'go', 'debootstrap', 'disk', 'port.entry', 'registry', 'images', 'kind.node-image', 'kind.network-policy']);
  });

  it('fails without an engine and says how to start one', async () => {
    const report = await doctor({ commands: { ...everything, 'docker version --format {{.Server.Version}}': null } });
    expect(report.ready).toBe(false);
    expect(check(report, 'docker')).toMatchObject({ status: 'fail', detail: 'client present, engine not reachable' });
    expect(check(report, 'docker').hint).toMatch(/prodlike setup/);
  });

  it('detects the missing CAP_SYS_RESOURCE and blocks kind until the shim is the default runtime', async () => {
    const sandbox = { readText: async () => 'CapBnd:\t000001fffeffffff\n' };
    const before = await doctor({ ...sandbox, commands: everything }, 'kind');
    expect(check(before, 'privileged')).toMatchObject({ status: 'fail' });
    expect(check(before, 'privileged').detail).toContain('CAP_SYS_RESOURCE');
    expect(before.ready).toBe(false);
    expect((await doctor({ ...sandbox, commands: everything }, 'docker')).ready).toBe(true);
    const after = await doctor({ ...sandbox, commands: { ...everything, 'docker info': 'prodlike-runc' } }, 'kind');
    expect(check(after, 'privileged').status).toBe('ok');
    expect(after.ready).toBe(true);
  });

  it('blocks kind, not docker, when kind/kubectl/node image are missing', async () => {
    const commands = { ...everything, 'kind version': null, 'kubectl version': null };
    const kind = await doctor({ commands }, 'kind');
    expect(kind.ready).toBe(false);
    expect(check(kind, 'kind')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/setup --kind/) });
    expect((await doctor({ commands }, 'docker')).ready).toBe(true);
  });

  it('warns (does not fail) for k6 and go, which only some commands need', async () => {
    const report = await doctor({ commands: { ...everything, 'k6 version': null, 'go version': null } });
    expect(check(report, 'k6').status).toBe('warn');
    expect(check(report, 'go').status).toBe('warn');
    expect(report.ready).toBe(true);
  });

  it('lists missing images with the command that builds them', async () => {
    const report = await doctor({ commands: { ...everything, 'docker image inspect': null } });
    expect(check(report, 'images')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/prodlike setup/) });
    expect(check(report, 'images').detail).toContain('prodlike.local/postgres:15-bookworm');
    expect(report.ready).toBe(false);
  });

  it('checks online images when the registry answers (auto)', async () => {
    const report = await doctor({ commands: { ...everything, 'docker image inspect': null }, registryReachable: async () => true });
    expect(check(report, 'registry').status).toBe('ok');
    expect(check(report, 'images').detail).toContain('postgres:15-alpine');
  });

  it('reports a busy entry port and low disk', async () => {
    const report = await doctor({ commands: everything, portFree: async () => false, freeBytes: async () => 3 * 2 ** 30 });
    expect(check(report, 'port.entry')).toMatchObject({ status: 'warn', hint: expect.stringMatching(/127\.0\.0\.1:18080/) });
    expect(check(report, 'disk').status).toBe('fail');
  });

  it('fails on an old Node.js', async () => {
    const report = await doctor({ commands: everything, nodeVersion: '18.19.0' });
    expect(check(report, 'node').status).toBe('fail');
    expect(report.ready).toBe(false);
  });
});

describe('networkPolicyCheck', () => {
  // This VM (Firecracker, 6.18): no nft queue, but nfnetlink_queue, nft_compat and the xtables NFQUEUE target.
  const here = 'CONFIG_NF_TABLES=y\n# CONFIG_NFT_QUEUE is not set\nCONFIG_NETFILTER_NETLINK_QUEUE=y\nCONFIG_NFT_COMPAT=y\nCONFIG_NETFILTER_XT_TARGET_NFQUEUE=y\n';
  it('offline: enforced through the xtables NFQUEUE target (nft_compat) although the kernel lacks nft queue', () => {
    const c = networkPolicyCheck(here, 'offline');
    expect(c.status).toBe('ok');
    expect(c.detail).toMatch(/enforced: .*xtables NFQUEUE target \(nft_compat\), which works here although the kernel lacks nft queue/);
    const none = networkPolicyCheck('# CONFIG_NFT_QUEUE is not set\nCONFIG_NETFILTER_NETLINK_QUEUE=y\n', 'offline');
    expect(none.status).toBe('warn');
    expect(none.detail).toMatch(/not enforced/);
    expect(none.blocks).toEqual([]);
  });
  it('online: upstream\'s image needs nft queue; without it a warning that points to the offline build when the kernel has the compat target', () => {
    expect(networkPolicyCheck('CONFIG_NFT_QUEUE=m\nCONFIG_NETFILTER_NETLINK_QUEUE=y\n', 'online').status).toBe('ok');
    const missing = networkPolicyCheck(here, 'online');
    expect(missing.status).toBe('warn');
    expect(missing.hint).toMatch(/imageSource: offline/);
  });
  it('info when the configuration is unreadable or enforcement is turned off', () => {
    expect(networkPolicyCheck(undefined, 'offline').status).toBe('info');
    const off = networkPolicyCheck(here, 'offline', { enforce: false });
    expect(off.status).toBe('info');
    expect(off.detail).toMatch(/networkPolicies.enforce is false/);
  });
});
