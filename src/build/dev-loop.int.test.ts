import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.ts';
import { EventBus, type DevCycleEvent } from '../core/events.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { createProvider } from '../providers/create-provider.ts';
import type { Provider } from '../providers/provider.ts';
import { dockerSkipReason, makeProject, removeTempDirs } from '../safety/testing/docker-env.ts';
import { buildConfiguredImages } from './build-and-roll-out.ts';
import { devLoop } from './dev-loop.ts';

/**
 * `prodlike dev` on docker, for real: a copy of fixtures/app in a temporary project (never the repo's
 * files) with its own image tag and build script (esbuild bundle + docker build, as fixtures/app/build.sh
 * without the frontend image), the environment up on it, then a one-line edit of src/backend.ts while
 * the loop watches: one cycle rebuilds, rolls the backend out, and the new code answers at the entry
 * point. Kept small for CI's time budget: one backend replica, no worker.
 */
const skipReason = await dockerSkipReason();
const name = `devloop-int-${process.pid}`;
const image = `prodlike.local/devloop-int:${process.pid}`;
const BUILD_SH = `#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"
node app/scripts/bundle.mjs app/dist >/dev/null
DOCKER_BUILDKIT=0 docker build --pull=false -q --label io.prodlike.managed=true --label "io.prodlike.inputs=$IMAGE_INPUTS" -t "$IMAGE_TAG" app
`;
let provider: Provider | undefined;

afterAll(async () => {
  await provider?.destroy().catch(() => undefined);
  if (!skipReason) await import('../core/exec.ts').then(({ run }) => run('docker', ['image', 'rm', '-f', image], { allowFailure: true, timeoutMs: 60_000 }));
  await removeTempDirs();
}, 120_000);

describe.skipIf(Boolean(skipReason))(`prodlike dev on docker${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('rebuilds on a one-line edit, rolls the backend out, and the new code answers', async () => {
    const project = await makeProject(name, {
      extra: {
        topology: { backend: { replicas: 1 }, frontend: { replicas: 1 }, worker: { enabled: false } },
        build: [{ image, context: 'app', script: 'build.sh', roles: ['backend'] }],
      },
    });
    const app = join(project.dir, 'app');
    for (const part of ['src', 'scripts', 'Dockerfile']) await cp(join(PACKAGE_ROOT, 'fixtures', 'app', part), join(app, part), { recursive: true });
    await mkdir(join(app, 'uploaded_files'), { recursive: true });
    await writeFile(join(app, 'uploaded_files', '.keep'), '');
    await symlink(join(PACKAGE_ROOT, 'node_modules'), join(project.dir, 'node_modules'));
    await writeFile(join(project.dir, 'build.sh'), BUILD_SH, { mode: 0o755 });

    const loaded = await loadConfig({ file: join(project.dir, 'prodlike.yaml') });
    const bus = new EventBus();
    const abort = new AbortController();
    expect((await buildConfiguredImages({ loaded, source: 'offline', bus }))[0]!.status).toBe('built');
    provider = await createProvider({ loaded, bus });
    const { status } = await provider.create({ signal: abort.signal });
    const live = async () => (await (await fetch(`${status.entry}/api/health/live`)).json()) as Record<string, unknown>;
    expect(await live()).toEqual({ status: 'alive' });

    const backend = join(app, 'src', 'backend.ts');
    const source = await readFile(backend, 'utf8');
    expect(source).toContain("body: { status: 'alive' }");
    const events: DevCycleEvent[] = await devLoop({
      provider, loaded, bus, signal: abort.signal, source: 'offline', once: true, debounceMs: 200,
      onWatching: () => void writeFile(backend, source.replace("body: { status: 'alive' }", "body: { status: 'alive', edited: true }")),
    });

    expect(events).toHaveLength(1);
    const [cycle] = events;
    expect(cycle).toMatchObject({ outcome: 'rolled-out', images: [image], paths: ['app/src/backend.ts'] });
    expect(cycle!.rolled).toMatch(new RegExp(`^backend ×1 on ${image}`));
    expect(cycle!.totalMs).toBeGreaterThanOrEqual(cycle!.buildMs + cycle!.readyMs);
    expect(await live()).toEqual({ status: 'alive', edited: true });
    expect(await readFile(join(PACKAGE_ROOT, 'fixtures', 'app', 'src', 'backend.ts'), 'utf8')).toContain("body: { status: 'alive' }");
  }, 120_000);
});
