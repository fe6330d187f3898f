import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { EventBus, type TimedEvent } from '../../core/events.ts';
import { ALLOW_FOREIGN_FLAG } from '../../safety/ownership.ts';
import { docker, dockerSkipReason, removeTempDirs, removeTestObjects, sleeper, tempDir, TEST_LABEL } from '../../safety/testing/docker-env.ts';
import { topologyImages } from '../create-provider.ts';
import { DockerProvider } from './docker-provider.ts';

/**
 * Ownership guard, docker provider (issue #11): decoys named exactly like this environment's objects but
 * not labelled as its own are refused with OWNERSHIP_REFUSED (exit 3), named in the message, and left
 * untouched: not killed, stopped, paused, disconnected, scaled away or removed.
 */
const skipReason = await dockerSkipReason({ images: false });
afterAll(removeTempDirs);
const tag = `own-${process.pid}`;
const env = `safety-own-${process.pid}`;
const prefix = `prodlike-${env}`;

/**
 * No operation here gets past the guard to publish a port (the one let through fails on finding no
 * labelled replica), so the entry port is the default and never bound: no port to choose (issue #14).
 */
async function provider(options: { allowForeignTarget?: boolean; bus?: EventBus } = {}): Promise<DockerProvider> {
  const config = configSchema.parse({ name: env, provider: 'docker', imageSource: 'offline' });
  return new DockerProvider({ config, images: await topologyImages('offline'), projectDir: await tempDir('prodlike-own-'), imageSource: 'offline', ...options });
}

async function refused(work: Promise<unknown>): Promise<ProdlikeError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error, 'the operation must be refused').toBeInstanceOf(ProdlikeError);
  expect((error as ProdlikeError).code).toBe('OWNERSHIP_REFUSED');
  expect((error as ProdlikeError).exitCode).toBe(3);
  return error as ProdlikeError;
}

const snapshot = async (name: string) => {
  const i: Docker.ContainerInspectInfo = await docker.getContainer(name).inspect();
  return { id: i.Id, running: i.State.Running, paused: i.State.Paused, startedAt: i.State.StartedAt, restarts: i.RestartCount, networks: Object.keys(i.NetworkSettings.Networks ?? {}).sort() };
};

describe.skipIf(Boolean(skipReason))(`ownership guard, docker provider${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

  beforeAll(async () => {
    // Decoy 1: named like replica 0 of the backend, without prodlike's container labels.
    await sleeper(`${prefix}-backend-0`, { [TEST_LABEL]: tag });
    // Decoy 2: named like redis replica 0, but labelled for another environment.
    await sleeper(`${prefix}-redis-0`, { [TEST_LABEL]: tag, 'io.prodlike.managed': 'true', 'io.prodlike.env': 'someone-else', 'io.prodlike.role': 'redis' });
    // Decoy 3: a network with the environment network's name, not prodlike's.
    await docker.createNetwork({ Name: prefix, Labels: { [TEST_LABEL]: tag } });
    // Decoy 4: a volume that carries the env label (what `down` selects) but not io.prodlike.managed.
    await docker.createVolume({ Name: `${prefix}-foreign-data`, Labels: { [TEST_LABEL]: tag, 'io.prodlike.env': env } });
    for (const role of ['backend', 'redis']) before[role] = await snapshot(`${prefix}-${role}-0`);
  }, 60_000);

  afterAll(async () => {
    await removeTestObjects(tag);
  }, 60_000);

  it.each([
    ['kill', (p: DockerProvider) => p.kill('backend')],
    ['stop', (p: DockerProvider) => p.stop('backend')],
    ['restart', (p: DockerProvider) => p.restart('backend')],
    ['pause', (p: DockerProvider) => p.pause('backend')],
    ['scale', (p: DockerProvider) => p.scale('backend', 0)],
    ['exec', (p: DockerProvider) => p.exec('backend', ['sh', '-c', 'echo dropped'])],
  ])('%s on an unlabelled container named like ours is refused, naming it', async (_op, operation) => {
    const error = await refused(operation(await provider()));
    expect(error.message).toContain(`container ${prefix}-backend-0`);
    // The decoy inherits io.prodlike.managed=true from prodlike's image labels: only io.prodlike.env
    // (never set on images) makes a container this environment's.
    expect(error.message).toContain(`does not carry io.prodlike.env=${env}`);
    expect(error.hint).toContain(ALLOW_FOREIGN_FLAG);
  });

  it('kill of a container labelled for another environment is refused, naming that environment', async () => {
    const error = await refused((await provider()).kill('redis'));
    expect(error.message).toMatch(new RegExp(`container ${prefix}-redis-0 .*belongs to environment "someone-else"`));
  });

  it('partition with a foreign network of our name is refused, naming the network', async () => {
    const error = await refused((await provider()).partition('worker'));
    expect(error.message).toContain(`network ${prefix}`);
  });

  it('down refuses to remove a volume that carries our env label but is not prodlike-managed', async () => {
    const error = await refused((await provider()).destroy());
    expect(error.message).toContain(`volume ${prefix}-foreign-data`);
  });

  it('the override is recorded as an event, and label-filtered lookups still never reach the decoy', async () => {
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    const p = await provider({ allowForeignTarget: true, bus });
    const error = await p.pause('backend').then(() => undefined, (e: unknown) => e as ProdlikeError);
    expect(error?.code).toBe('PROVIDER_FAILED'); // past the guard: no *labelled* backend replica exists
    const warning = events.find((e) => e.kind === 'log' && e.level === 'warn' && e.source === 'safety.ownership');
    expect(warning && 'message' in warning ? warning.message : '').toContain(`${ALLOW_FOREIGN_FLAG}): pause backend on container ${prefix}-backend-0`);
  });

  it('left every decoy untouched', async () => {
    for (const role of ['backend', 'redis']) {
      const now = await snapshot(`${prefix}-${role}-0`);
      expect(now).toEqual(before[role]);
      expect(now.running).toBe(true);
      expect(now.paused).toBe(false);
    }
    expect((await docker.listNetworks({ filters: { name: [prefix] } })).some((n) => n.Name === prefix)).toBe(true);
    expect(await docker.getVolume(`${prefix}-foreign-data`).inspect()).toBeTruthy();
  });
});
