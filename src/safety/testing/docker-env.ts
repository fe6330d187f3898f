import Docker from 'dockerode';
import { execa, type ResultPromise } from 'execa';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ProdlikeError } from '../../core/errors.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { dockerEngineMissing, firstMissing, imagesMissing } from '../../core/prerequisites.ts';
import { topologyImages } from '../../providers/create-provider.ts';
import { tempDir } from './temp-dirs.ts';

export { removeTempDirs, tempDir } from './temp-dirs.ts';

/**
 * Helpers of the safety integration tests (src/providers/**\/*.safety.int.test.ts): real Docker, real
 * containers, each test in its own project directory with its own environment name and entry port.
 */
export const docker = new Docker();
export const BIN = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
/** Decoys and fakes made by the tests carry this label (never io.prodlike.managed when they must look foreign). */
export const TEST_LABEL = 'io.prodlike.safety-test';
export const TEST_IMAGE = 'prodlike.local/debian:bookworm';

/**
 * Why the safety tests cannot run here ('' when they can). A missing engine or image is a skip; an error
 * while checking fails; with CI=true, what .ci/run set up must be present (src/core/prerequisites.ts).
 */
export async function dockerSkipReason(options: { images?: boolean } = {}): Promise<string> {
  const reason = await firstMissing([
    ['docker', () => dockerEngineMissing(docker)],
    ['images', async () => imagesMissing(docker, [TEST_IMAGE, ...(options.images === false ? [] : Object.values(await topologyImages('offline')))])],
  ]);
  return reason ?? '';
}

/**
 * A 127.0.0.1 port free now. Whoever binds it later can find it taken by another process in between
 * (issue #14): a test that binds it goes through upOnFreeEntry / createOnFreeEntry, which choose again.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestProject {
  dir: string;
  name: string;
  entry: number;
  config: Record<string, unknown>;
}

/** A project directory with its own prodlike.yaml: the small docker topology, offline images. */
export async function makeProject(name: string, options: { entry?: number; extra?: Record<string, unknown> } = {}): Promise<TestProject> {
  const dir = await tempDir(`prodlike-${name}-`);
  const entry = options.entry ?? (await freePort());
  const config = {
    name, provider: 'docker', imageSource: 'offline', ports: { entry },
    topology: { backend: { replicas: 1 }, frontend: { replicas: 1 }, worker: { replicas: 1 } },
    ...options.extra,
  };
  await writeFile(join(dir, 'prodlike.yaml'), stringify(config));
  return { dir, name, entry, config };
}

/** The project's prodlike.yaml again, with another entry port. */
async function moveEntry(project: TestProject, entry: number): Promise<void> {
  project.entry = entry;
  project.config = { ...project.config, ports: { entry } };
  await writeFile(join(project.dir, 'prodlike.yaml'), stringify(project.config));
}

/** How many times an `up` whose entry port was taken before Docker bound it runs again on a new port. */
const ENTRY_ATTEMPTS = 3;

/** `up` (its result) failed because another process held the project's entry port: PORT_IN_USE naming it. */
export function entryTaken(project: TestProject, r: { exitCode?: number | undefined; stdout?: unknown; stderr?: unknown }): boolean {
  const output = `${String(r.stdout ?? '')}\n${String(r.stderr ?? '')}`;
  return r.exitCode === 3 && output.includes('cannot publish its port') && output.includes(`127.0.0.1:${project.entry}`);
}

/**
 * Runs `attempt`, a step that runs `prodlike up` on the project's entry port (to its end, or as a child
 * process the step acts on while it runs: SIGINT, a concurrent command), and returns what it returned.
 * makeProject chose that port free, and another process can take it before Docker binds it (issue #14):
 * when the `up` of an attempt (`upOf` picks its result) failed with PORT_IN_USE for that port, the
 * environment is taken down and the step runs again on a new port (project.entry follows), at most
 * ENTRY_ATTEMPTS times in all; the last attempt's value is returned as it is.
 */
export async function onFreeEntry<T>(project: TestProject, attempt: () => Promise<T>, upOf: (value: T) => Parameters<typeof entryTaken>[1]): Promise<T> {
  for (let n = 1; ; n++) {
    const value = await attempt();
    if (!entryTaken(project, upOf(value)) || n >= ENTRY_ATTEMPTS) return value;
    await cli(project, ['down']);
    await moveEntry(project, await freePort());
  }
}

/** `prodlike up` (the CLI, with `args`) on the project's entry port, again on a new one while it is taken (onFreeEntry). */
export function upOnFreeEntry(project: TestProject, args: string[] = []): Promise<Awaited<ReturnType<typeof cli>>> {
  return onFreeEntry(project, () => cli(project, ['up', ...args]), (r) => r);
}

/**
 * `create(config)` (an in-process provider's create) on the project's entry port, again on a new port when
 * another process took it before Docker bound it (PORT_IN_USE naming that port; see upOnFreeEntry).
 */
export async function createOnFreeEntry<T>(project: TestProject, create: (config: Record<string, unknown>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(project.config);
    } catch (error) {
      const entryTaken = error instanceof ProdlikeError && error.code === 'PORT_IN_USE' && error.message.includes(`127.0.0.1:${project.entry}`);
      if (!entryTaken || attempt >= ENTRY_ATTEMPTS) throw error;
      await moveEntry(project, await freePort());
    }
  }
}

export function cli(project: { dir: string }, args: string[], env: Record<string, string> = {}): ResultPromise<{ cwd: string; reject: false; env: Record<string, string>; timeout: number }> {
  return execa('node', [BIN, ...args], { cwd: project.dir, reject: false, env: { CI: 'true', ...env }, timeout: 5 * 60_000 });
}

export interface Labelled {
  containers: Docker.ContainerInfo[];
  networks: Docker.NetworkInspectInfo[];
  volumes: Docker.VolumeInspectInfo[];
}

/** Every docker object carrying `io.prodlike.env=<env>`. */
export async function labelledResources(env: string): Promise<Labelled> {
  const filters = { label: [`io.prodlike.env=${env}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }).then((r) => r.Volumes ?? []),
  ]);
  return { containers, networks, volumes };
}

export function describeResources(r: Labelled): string[] {
  return [
    ...r.containers.map((c) => `container ${c.Names[0]} (${c.State})`),
    ...r.networks.map((n) => `network ${n.Name}`),
    ...r.volumes.map((v) => `volume ${v.Name}`),
  ];
}

/** Removes every object of `env` (by its label) and the test's decoys: the tests' own cleanup. */
export async function removeEnvironment(env: string): Promise<void> {
  const r = await labelledResources(env);
  await Promise.all(r.containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  for (const n of r.networks) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const v of r.volumes) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

export async function removeTestObjects(runTag: string): Promise<void> {
  const filters = { label: [`${TEST_LABEL}=${runTag}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

/** A running container that does nothing: decoys and fakes. */
export async function sleeper(name: string, labels: Record<string, string>, extra: Partial<Docker.ContainerCreateOptions> = {}): Promise<Docker.Container> {
  const c = await docker.createContainer({ name, Image: TEST_IMAGE, Cmd: ['sleep', 'infinity'], Labels: labels, StopTimeout: 1, ...extra });
  await c.start();
  return c;
}

/** Resolves when `predicate` matches a line of the child's stdout. */
export function waitForLine(child: ResultPromise, predicate: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; output so far:\n${buffer.slice(-2000)}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find(predicate);
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.catch(() => undefined).finally(() => {
      clearTimeout(timer);
      reject(new Error(`the process ended before a matching line; output:\n${buffer.slice(-2000)}`));
    });
  });
}
