/**
 * Runs every smoke check against the images of fixtures/images/images.yaml (the offline column by
 * default; PRODLIKE_SMOKE_SOURCE=online checks the official images instead, where they are present).
 * Real containers, no mocks. A check whose image is absent is skipped with the reason.
 *
 * testcontainers' reaper (Ryuk) cannot be pulled without a registry: vitest.config.ts sets
 * TESTCONTAINERS_RYUK_DISABLED=true, and smoke-checks.ts sets it too when unset. Containers are removed
 * by the checks themselves and carry io.prodlike.smoke=true for reaping by label.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';
import { configureTestcontainers } from '../core/testcontainers-env.ts';
import { loadImageCatalog } from './image-catalog.ts';
import { SMOKE_CHECKS, smokePostgres, smokeRedis, type SmokeCheckName } from './smoke-checks.ts';

configureTestcontainers();

const source = process.env.PRODLIKE_SMOKE_SOURCE === 'online' ? 'online' : 'offline';
const catalog = await loadImageCatalog();

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

function imagePresent(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

// Containers of this test run only (setup may run smoke checks of its own at the same time).
const RUN_LABEL = { 'io.prodlike.smoke-run': randomUUID() };

function smokeContainersLeft(): string[] {
  const filter = `label=io.prodlike.smoke-run=${RUN_LABEL['io.prodlike.smoke-run']}`;
  const out = execFileSync('docker', ['ps', '-aq', '--filter', filter], { encoding: 'utf8', timeout: 15_000 });
  return out.split('\n').filter(Boolean);
}

const docker = dockerAnswers();

describe.skipIf(!docker)(`smoke checks of the ${source} images${docker ? '' : ' (skipped: no Docker engine answers; run `npx prodlike setup`)'}`, () => {
  for (const name of Object.keys(SMOKE_CHECKS) as SmokeCheckName[]) {
    const image = catalog.images[name]?.[source];
    const present = image !== undefined && imagePresent(image);
    const reason = image === undefined ? `no "${name}" entry in images.yaml` : `image ${image} is absent: build it with \`npx prodlike setup\``;
    it.skipIf(!present)(`${name}: ${image ?? '?'}${present ? '' : ` (skipped: ${reason})`}`, async () => {
      const result = await SMOKE_CHECKS[name]({ image: image!, labels: RUN_LABEL });
      expect(result.ok).toBe(true);
      expect(result.details.length).toBeGreaterThan(0);
      expect(result.durationMs).toBeGreaterThan(0);
      // Every container is removed, pass or fail.
      expect(smokeContainersLeft()).toEqual([]);
    });
  }

  it('refuses an absent image with IMAGE_MISSING and a what-to-do message (never tries a pull)', async () => {
    const absent = 'prodlike.local/does-not-exist:smoke-test';
    const error = await smokePostgres({ image: absent, labels: RUN_LABEL }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('IMAGE_MISSING');
    expect((error as ProdlikeError).message).toMatch(/not present locally; run `npx prodlike setup`/);
  });

  const postgresImage = catalog.images.postgres?.[source];
  it.skipIf(!postgresImage || !imagePresent(postgresImage))('an aborted check (Ctrl-C) throws INTERRUPTED and removes its container', async () => {
    const controller = new AbortController();
    const pending = smokePostgres({ image: postgresImage!, signal: controller.signal, labels: RUN_LABEL }).catch((e: unknown) => e);
    // Abort once its container exists (mid-flight), as a Ctrl-C during setup would.
    await waitFor(async () => smokeContainersLeft().length > 0, { timeoutMs: 60_000, intervalMs: 100, description: 'the smoke container to be created' });
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('INTERRUPTED');
    expect(smokeContainersLeft()).toEqual([]);
  });

  const nodeImage = catalog.images.node?.[source];
  it.skipIf(!nodeImage || !imagePresent(nodeImage))('a failing check throws with the container output and removes its container', async () => {
    // The node image is no PostgreSQL: the check must fail on readiness, quote what happened, clean up.
    const error = await smokePostgres({ image: nodeImage!, startupTimeoutMs: 8_000, labels: RUN_LABEL }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('READINESS_TIMEOUT');
    expect((error as ProdlikeError).message).toMatch(/exited or did not become ready/);
    expect((error as ProdlikeError).message).toMatch(/npx prodlike setup/);
    expect(smokeContainersLeft()).toEqual([]);
  });

  const nginxImage = catalog.images.nginx?.[source];
  it.skipIf(!nginxImage || !imagePresent(nginxImage))('a container that exits before its ports are bound is removed too, its output quoted', async () => {
    // nginx's entrypoint cannot exec `--appendonly`: the container exits at once (testcontainers does
    // not clean up this case itself).
    const error = await smokeRedis({ image: nginxImage!, startupTimeoutMs: 8_000, labels: RUN_LABEL }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).message).toMatch(/--appendonly/);
    expect(smokeContainersLeft()).toEqual([]);
  });
});
