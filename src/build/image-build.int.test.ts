import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../core/events.ts';
import { run } from '../core/exec.ts';
import { loadImageCatalog } from '../setup/image-catalog.ts';
import { buildxAvailable, dockerBuild, type BuildPlan } from './image-build.ts';

/**
 * Issue #19's must-show: a Dockerfile that starts FROM node:20-alpine (fixtures/node-alpine, written for
 * Docker Hub) built offline through prodlike's build path without editing it. The catalogue has no
 * node:20-alpine: its Node 20 is node:20-bookworm-slim, built here as prodlike.local/node:20-bookworm, and
 * node:20-alpine goes to it as the nearest equivalent (same repository and major version), which the
 * output says.
 */
const catalog = await loadImageCatalog();
const nodeOffline = catalog.images.node!.offline;
const skipReason = await (async () => {
  const engine = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
  if (engine?.exitCode !== 0) return 'no Docker engine answers';
  const node = await run('docker', ['image', 'inspect', nodeOffline], { allowFailure: true, timeoutMs: 15_000 });
  return node.exitCode === 0 ? '' : `${nodeOffline} is not built (npx prodlike setup)`;
})();
const context = join(import.meta.dirname, 'fixtures', 'node-alpine');
const image = `prodlike.local/build-int-test:${process.pid}`;
const plan: BuildPlan = { image, context, dockerfile: join(context, 'Dockerfile'), via: 'dockerfile', roles: ['backend'] };

afterAll(async () => {
  if (!skipReason) await run('docker', ['image', 'rm', '-f', image], { allowFailure: true, timeoutMs: 60_000 });
});

describe.skipIf(Boolean(skipReason))(`offline build of an unedited FROM node:20-alpine Dockerfile${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('builds it on the local Node 20, says so, runs it, and skips the next build of an unchanged context', async () => {
    const dockerfileBefore = await readFile(plan.dockerfile, 'utf8');
    const bus = new EventBus();
    const logs: string[] = [];
    bus.on((e) => { if (e.kind === 'log') logs.push(e.message); });
    const options = { catalog, source: 'offline' as const, cache: join(tmpdir(), 'prodlike-build-int'), bus, buildx: await buildxAvailable(), progress: () => undefined };

    const built = await dockerBuild(plan, options);
    expect(built.status).toBe('built');
    expect(built.redirects).toEqual([{ from: 'node:20-alpine', to: nodeOffline, match: 'nearest', via: catalog.images.node!.online }]);
    expect(logs.join('\n')).toContain(`FROM node:20-alpine → ${nodeOffline} (offline`);
    expect(await readFile(plan.dockerfile, 'utf8')).toBe(dockerfileBefore);

    const out = await run('docker', ['run', '--rm', '--label', 'io.prodlike.managed=true', image], { timeoutMs: 60_000 });
    expect(out.stdout).toMatch(/^hello from node 20\./);

    expect((await dockerBuild(plan, options)).status).toBe('cached');
    // A file the .dockerignore leaves out of the context does not count as a change.
    await writeFile(join(context, 'notes.txt'), `scratch ${Date.now()}`);
    try {
      expect((await dockerBuild(plan, options)).status).toBe('cached');
    } finally {
      await rm(join(context, 'notes.txt'), { force: true });
    }
  });
});
