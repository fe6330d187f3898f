import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../config/load-config.ts';
import { configSchema } from '../config/schema.ts';
import { EventBus, type TimedEvent } from '../core/events.ts';
import { ProdlikeError } from '../core/errors.ts';
import {
  environmentConflictError, findEnvironmentConflicts, projectSources, refuseConflictingEnvironment, requestedHostPorts,
  type ConflictSources, type EnvironmentRequest, type LiveEnvironment,
} from './environment-conflicts.ts';
import type { EnvironmentState } from './environment-state.ts';

const CREATED = '2026-12-03T22:10:00.000Z';
const state = (env: string, provider: 'docker' | 'kind'): EnvironmentState => ({ env, provider, runId: 'r', createdAt: CREATED, imageSource: 'offline', replicas: {} });
const key = (s: EnvironmentState) => `${s.env}@${s.provider}`;

/** Recorded states, and what of them exists (absent from `live` = gone). */
function fakeSources(recorded: EnvironmentState[], live: Record<string, LiveEnvironment>): ConflictSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    recorded: async () => recorded,
    live: async (s) => {
      asked.push(key(s));
      return live[key(s)] ?? { exists: false, hostPorts: [] };
    },
  };
}

const kindRequest: EnvironmentRequest = { env: 'prodlike', provider: 'kind', hostPorts: [18080, 18081, 18083, 18084, 18085], entry: 18080 };

describe('findEnvironmentConflicts', () => {
  it('nothing recorded: nothing in the way', async () => {
    expect(await findEnvironmentConflicts(kindRequest, fakeSources([], {}))).toEqual({ conflicts: [], stale: [] });
  });

  it('the requested environment itself (same name, same provider) is never in its own way, and is not even looked up', async () => {
    const sources = fakeSources([state('prodlike', 'kind')], { 'prodlike@kind': { exists: true, hostPorts: [18080] } });
    expect(await findEnvironmentConflicts(kindRequest, sources)).toEqual({ conflicts: [], stale: [] });
    expect(sources.asked).toEqual([]);
  });

  it('the same name up on the other provider is a conflict', async () => {
    const docker = state('prodlike', 'docker');
    const { conflicts } = await findEnvironmentConflicts(kindRequest, fakeSources([docker], { 'prodlike@docker': { exists: true, hostPorts: [18080] } }));
    expect(conflicts).toEqual([{ reason: 'same-name', other: docker, ports: [] }]);
  });

  it('a same-name state file whose environment no longer exists does not block: it is stale', async () => {
    const docker = state('prodlike', 'docker');
    expect(await findEnvironmentConflicts(kindRequest, fakeSources([docker], {}))).toEqual({ conflicts: [], stale: [docker] });
  });

  it('another name whose containers publish a port we bind is a conflict naming the shared ports', async () => {
    const other = state('demo', 'docker');
    const { conflicts } = await findEnvironmentConflicts(kindRequest, fakeSources([other], { 'demo@docker': { exists: true, hostPorts: [18083, 40000] } }));
    expect(conflicts).toEqual([{ reason: 'ports', other, ports: [18083] }]);
  });

  it('another name on other ports, or gone, is not in the way', async () => {
    const apart = state('apart', 'kind');
    const gone = state('gone', 'docker');
    const sources = fakeSources([apart, gone], { 'apart@kind': { exists: true, hostPorts: [18480, 18481, 36831] } });
    expect(await findEnvironmentConflicts(kindRequest, sources)).toEqual({ conflicts: [], stale: [gone] });
  });

  it('lists the same-name conflict before port conflicts', async () => {
    const ports = state('demo', 'kind');
    const name = state('prodlike', 'docker');
    const { conflicts } = await findEnvironmentConflicts(kindRequest, fakeSources([ports, name], { 'demo@kind': { exists: true, hostPorts: [18081] }, 'prodlike@docker': { exists: true, hostPorts: [18080] } }));
    expect(conflicts.map((c) => c.reason)).toEqual(['same-name', 'ports']);
  });
});

describe('environmentConflictError', () => {
  const docker = state('prodlike', 'docker');

  it('same name: exit 2, says where it is up and since when, and names the way out (run)', () => {
    const e = environmentConflictError(kindRequest, [{ reason: 'same-name', other: docker, ports: [] }], 'run');
    expect(e).toBeInstanceOf(ProdlikeError);
    expect(e.code).toBe('ENVIRONMENT_CONFLICT');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`environment "prodlike" is up on docker (created ${CREATED})`);
    expect(e.message).toContain('Nothing was started');
    expect(e.hint).toBe('`prodlike down --provider docker` first, or use another name with `name:` in prodlike.yaml, or `--provider docker` to run against it.');
    expect(e.details).toMatchObject({ env: 'prodlike', provider: 'kind', conflicts: [{ reason: 'same-name', env: 'prodlike', provider: 'docker', createdAt: CREATED }] });
  });

  it('same name on `up`: "--provider docker to use it"', () => {
    expect(environmentConflictError(kindRequest, [{ reason: 'same-name', other: docker, ports: [] }], 'up').hint).toMatch(/`--provider docker` to use it\.$/);
  });

  it('ports: names the other environment, the shared ports and the way out', () => {
    const e = environmentConflictError({ env: 'prodlike', provider: 'docker', hostPorts: [18080], entry: 18080 }, [{ reason: 'ports', other: state('demo', 'kind'), ports: [18080] }], 'up');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`environment "demo" is up on kind (created ${CREATED}) and holds 127.0.0.1:18080, which environment "prodlike" on docker needs`);
    expect(e.hint).toContain('`prodlike down --provider kind` with its config, name: demo');
    expect(e.hint).toContain('ports.entry');
  });

  it('mentions further conflicts', () => {
    const e = environmentConflictError(kindRequest, [{ reason: 'same-name', other: docker, ports: [] }, { reason: 'ports', other: state('demo', 'docker'), ports: [18083] }], 'run');
    expect(e.message).toContain('Also in the way: "demo" on docker (ports 18083).');
  });
});

describe('requestedHostPorts', () => {
  const config = configSchema.parse({ ports: { entry: 18080 } });

  it('kind: the entry, the backend entry, the three data probe ports and the ingress http/https (kind/cluster.yaml as rendered)', () => {
    expect(requestedHostPorts(config, 'kind')).toEqual([18080, 18081, 18082, 18083, 18084, 18085, 18086]);
  });

  it('docker: only the entry (every other port is chosen by Docker)', () => {
    expect(requestedHostPorts(config, 'docker')).toEqual([18080]);
  });
});

describe('projectSources', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const project = async (states: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-conflicts-'));
    dirs.push(dir);
    for (const [env, text] of Object.entries(states)) {
      await mkdir(join(dir, '.prodlike', env), { recursive: true });
      await writeFile(join(dir, '.prodlike', env, 'state.json'), text);
    }
    await mkdir(join(dir, '.prodlike', 'locked-only'), { recursive: true }); // a lock without state: not recorded
    return dir;
  };
  /** A Docker client answering listContainers from a table keyed by the label filters. */
  const fakeDocker = (byLabel: Record<string, Partial<Docker.ContainerInfo>[]>, asked: string[] = []): Pick<Docker, 'listContainers'> => ({
    listContainers: (async (options?: { filters?: { label?: string[] } }) => {
      const label = (options?.filters?.label ?? []).join(',');
      asked.push(label);
      return byLabel[label] ?? [];
    }) as Docker['listContainers'],
  });

  it('reads the state files of the project, skipping unreadable ones', async () => {
    const dir = await project({ a: JSON.stringify(state('a', 'docker')), b: JSON.stringify(state('b', 'kind')), broken: '{ not json' });
    const recorded = await projectSources(dir, fakeDocker({})).recorded();
    expect(recorded.map(key).sort()).toEqual(['a@docker', 'b@kind']);
  });

  it('no .prodlike directory: nothing recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-conflicts-'));
    dirs.push(dir);
    expect(await projectSources(dir, fakeDocker({})).recorded()).toEqual([]);
  });

  it('docker: the labelled containers and their published ports; kind: the cluster nodes by kind\'s label', async () => {
    const asked: string[] = [];
    const docker = fakeDocker({
      'io.prodlike.managed=true,io.prodlike.env=a': [{ Ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 18080, Type: 'tcp' }, { IP: '', PrivatePort: 5432, PublicPort: 0, Type: 'tcp' } as Docker.Port] }],
      'io.x-k8s.kind.cluster=prodlike-b': [{ Ports: [{ IP: '127.0.0.1', PrivatePort: 30080, PublicPort: 18480, Type: 'tcp' }] }, { Ports: [] }],
    }, asked);
    const sources = projectSources('/nowhere', docker);
    expect(await sources.live(state('a', 'docker'))).toEqual({ exists: true, hostPorts: [18080] });
    expect(await sources.live(state('b', 'kind'))).toEqual({ exists: true, hostPorts: [18480] });
    expect(await sources.live(state('prodlike', 'kind'))).toEqual({ exists: false, hostPorts: [] });
    expect(asked).toContain('io.x-k8s.kind.cluster=prodlike'); // env "prodlike" is cluster "prodlike"
  });

  it('an unreachable engine: nothing exists (the provider reports the engine itself)', async () => {
    const docker = { listContainers: (async () => { throw new Error('connect ENOENT /var/run/docker.sock'); }) as Docker['listContainers'] };
    expect(await projectSources('/nowhere', docker).live(state('a', 'docker'))).toEqual({ exists: false, hostPorts: [] });
  });
});

describe('refuseConflictingEnvironment', () => {
  const loaded = (provider: 'docker' | 'kind'): LoadedConfig => ({ config: configSchema.parse({ name: 'prodlike', provider, ports: { entry: 18080 } }), file: undefined, baseDir: '/nowhere' });

  it('throws the refusal when another environment is in the way', async () => {
    const sources = fakeSources([state('prodlike', 'docker')], { 'prodlike@docker': { exists: true, hostPorts: [18080] } });
    await expect(refuseConflictingEnvironment({ loaded: loaded('kind'), provider: 'kind', command: 'run', sources })).rejects.toMatchObject({ code: 'ENVIRONMENT_CONFLICT', exitCode: 2 });
  });

  it('announces stale state files on the bus and lets the command go on', async () => {
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    await refuseConflictingEnvironment({ loaded: loaded('kind'), provider: 'kind', command: 'up', bus, sources: fakeSources([state('prodlike', 'docker')], {}) });
    expect(events).toEqual([expect.objectContaining({ kind: 'log', level: 'warn', message: expect.stringContaining('records environment "prodlike" on docker') })]);
  });
});
