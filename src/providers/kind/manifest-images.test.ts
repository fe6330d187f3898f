/**
 * The images the kind provider loads, from the rendered manifests (the same render `up` applies, with the
 * image mapping of imageSource). The render needs kubectl (kustomize); those cases skip with the reason without it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findKubectl } from '../../check/load-manifests.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { topologyImages } from '../create-provider.ts';
import { renderManifests } from './kind-workloads.ts';
import { clusterImages, imagePlanTitle, looksLocal, missingImagesError, planImages } from './manifest-images.ts';

const REFERENCE = join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind');
const SAASIT = join(PACKAGE_ROOT, 'examples', 'saasit', 'manifests', 'overlays', 'kind');
const MINIO = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';

let kubectl: string | undefined;
let skip: string | undefined;
try {
  kubectl = await findKubectl();
} catch (error) {
  skip = error instanceof ProdlikeError ? error.message : String(error);
}
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function render(manifestsDir: string, imageSource: 'online' | 'offline'): Promise<KubeObject[]> {
  const stateDir = await mkdtemp(join(tmpdir(), 'prodlike-images-'));
  dirs.push(stateDir);
  return renderManifests({ kubectlBin: kubectl!, stateDir, manifestsDir, imageSource });
}

const imageSet = (objects: KubeObject[], own: string[] = []) => clusterImages(objects, own).map((i) => i.image).sort();

describe.skipIf(skip !== undefined)(`images of the rendered manifests${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('reference overlay, online: the official images and the app', async () => {
    expect(imageSet(await render(REFERENCE, 'online'))).toEqual(['postgres:15-alpine', 'prodlike.local/app:0.1.0', 'prodlike.local/frontend:0.1.0', MINIO, 'redis:7.0-alpine'].sort());
  }, 60_000);

  it('reference overlay, offline: every image of the former fixed list comes from the manifests (none left as prodlike\'s own)', async () => {
    const images = await topologyImages('offline');
    const fixed = [images.app, images.frontend, images.postgres, images.redis, images.minio];
    const planned = clusterImages(await render(REFERENCE, 'offline'), fixed);
    expect(planned.map((i) => i.image).sort()).toEqual([...fixed].sort());
    expect(planned.filter((i) => i.own)).toEqual([]);
    // The execution Job template held in a ConfigMap counts as a user of the app image.
    expect(planned.find((i) => i.image === images.app)?.users).toEqual(expect.arrayContaining([
      'Deployment app-backend/backend', 'Job template in ConfigMap saasit-executions/execution-job-template (key template.yaml)',
    ]));
  }, 60_000);

  it('examples/saasit overlay: its kustomize images: mapping (saasit/* -> prodlike.local/*) and the data stores', async () => {
    expect(imageSet(await render(SAASIT, 'online'))).toEqual(['postgres:15-alpine', 'prodlike.local/app:0.1.0', 'prodlike.local/frontend:0.1.0', MINIO, 'redis:7.0-alpine'].sort());
    const offline = clusterImages(await render(SAASIT, 'offline'), []);
    expect(offline.map((i) => i.image).sort()).toEqual([
      'prodlike.local/app:0.1.0', 'prodlike.local/frontend:0.1.0', 'prodlike.local/minio:DEVELOPMENT.2026-02-12T20-18-48Z', 'prodlike.local/postgres:15-bookworm', 'prodlike.local/redis:7.0-bookworm',
    ]);
    expect(offline.find((i) => i.image === 'prodlike.local/app:0.1.0')?.users).toEqual(expect.arrayContaining([
      'Deployment saasit-production/backend-api', 'Job template in ConfigMap saasit-executions/execution-job-template (key template.yaml)',
    ]));
  }, 60_000);
});

const deployment = (name: string, image: string, init?: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'team' },
  spec: { template: { spec: { containers: [{ name: 'c', image }], ...(init ? { initContainers: [{ name: 'i', image: init }] } : {}) } } },
});

describe('image extraction', () => {
  it('reads every workload kind, initContainers, CronJob jobTemplates and ConfigMap-held templates; placeholders are skipped', () => {
    const objects: KubeObject[] = [
      deployment('api', 'acme/api:1.0', 'acme/migrate:1.0'),
      { kind: 'StatefulSet', metadata: { name: 'db', namespace: 'team' }, spec: { template: { spec: { containers: [{ image: 'postgres:16' }] } } } },
      { kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'team' }, spec: { template: { spec: { containers: [{ image: 'acme/agent:1' }] } } } },
      { kind: 'Job', metadata: { name: 'seed', namespace: 'team' }, spec: { template: { spec: { containers: [{ image: 'acme/api:1.0' }] } } } },
      { kind: 'CronJob', metadata: { name: 'nightly', namespace: 'team' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'acme/cron:2' }] } } } } } },
      { kind: 'Pod', metadata: { name: 'debug', namespace: 'team' }, spec: { containers: [{ image: 'busybox:1.36' }] } },
      { kind: 'Service', metadata: { name: 'api', namespace: 'team' }, spec: {} },
      {
        kind: 'ConfigMap', metadata: { name: 'templates', namespace: 'team' },
        data: { 'job.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: run-{{ID}}\nspec:\n  template:\n    spec:\n      containers:\n      - image: acme/runner:3\n      - image: "{{IMAGE}}"\n', other: 'not: yaml: [' },
      } as KubeObject,
    ];
    const images = clusterImages(objects, ['prodlike.local/app:0.1.0', 'acme/api:1.0']);
    expect(images.map((i) => i.image)).toEqual(['acme/migrate:1.0', 'acme/api:1.0', 'postgres:16', 'acme/agent:1', 'acme/cron:2', 'busybox:1.36', 'acme/runner:3', 'prodlike.local/app:0.1.0']);
    expect(images.find((i) => i.image === 'acme/api:1.0')).toEqual({ image: 'acme/api:1.0', users: ['Deployment team/api', 'Job team/seed'], own: false });
    expect(images.find((i) => i.image === 'acme/runner:3')?.users).toEqual(['Job template in ConfigMap team/templates (key job.yaml)']);
    expect(images.at(-1)).toEqual({ image: 'prodlike.local/app:0.1.0', users: [], own: true });
  });

  it('calls an image local when its registry host is a local name; Docker Hub and real registries are pullable', () => {
    expect(['prodlike.local/app:0.1.0', 'localhost:5000/api:1', 'localhost/api:1', 'registry.local:5000/x/y:1', 'dev.localhost/api:1'].map((i) => looksLocal(i))).toEqual([true, true, true, true, true]);
    expect(['postgres:15-alpine', 'grafana/k6:1.8.1', 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z', 'ghcr.io/acme/api:1', 'registry.k8s.io/pause:3.10.1'].map((i) => looksLocal(i))).toEqual([false, false, false, false, false]);
    expect(looksLocal('acme.internal.example/api:1', 'acme.internal.example')).toBe(true);
  });
});

describe('absent images', () => {
  const objects = [deployment('api', 'prodlike.local/app:0.1.0'), deployment('shop', 'acme/shop:2.1'), deployment('db', 'postgres:16')];
  const present = (...images: string[]) => async (image: string) => images.includes(image);

  it('offline: every absent image is IMAGE_MISSING naming it, its objects and what to do', async () => {
    const error = await planImages({ rendered: objects, own: ['prodlike.local/frontend:0.1.0'], imageSource: 'offline', present: present('postgres:16') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    const e = error as ProdlikeError;
    expect(e.code).toBe('IMAGE_MISSING');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe([
      "3 images the kind cluster needs are not in the local Docker engine (imageSource is offline: the nodes pull nothing):",
      '  prodlike.local/app:0.1.0: used by Deployment team/api',
      '  acme/shop:2.1: used by Deployment team/shop',
      "  prodlike.local/frontend:0.1.0: prodlike's own image",
    ].join('\n'));
    expect(e.hint).toBe("`npx prodlike setup` builds prodlike's images (prodlike.local/app:0.1.0, prodlike.local/frontend:0.1.0). Build or pull your own image into the local Docker engine first (`docker build -t acme/shop:2.1 …` or `docker pull acme/shop:2.1`). Then run `prodlike up` again.");
    expect(e.details.missing).toEqual(expect.arrayContaining([{ image: 'acme/shop:2.1', usedBy: ['Deployment team/shop'], own: false }]));
  });

  it('online: an absent pullable image is left to the nodes; an absent local-looking one is the same error', async () => {
    const plan = await planImages({ rendered: objects, own: [], imageSource: 'online', present: present('prodlike.local/app:0.1.0') });
    expect(plan.load.map((i) => i.image)).toEqual(['prodlike.local/app:0.1.0']);
    expect(plan.pulled.map((i) => i.image)).toEqual(['acme/shop:2.1', 'postgres:16']);
    expect(imagePlanTitle(plan)).toBe("Load 1 images into the worker nodes (1 from the manifests, 0 of prodlike's own); 2 not present locally, pulled by the nodes");
    const error = await planImages({ rendered: objects, own: [], imageSource: 'online', present: present() }).catch((e: unknown) => e) as ProdlikeError;
    expect(error.message).toBe("1 image the kind cluster needs is not in the local Docker engine (they name no registry the nodes can pull from):\n  prodlike.local/app:0.1.0: used by Deployment team/api");
    expect(error.hint).toBe("`npx prodlike setup` builds prodlike's images (prodlike.local/app:0.1.0). Then run `prodlike up` again.");
  });

  it("a team's own image alone gets no setup hint", () => {
    const e = missingImagesError([{ image: 'acme/shop:2.1', users: ['Deployment team/shop'], own: false }], 'offline');
    expect(e.hint).toBe('Build or pull your own image into the local Docker engine first (`docker build -t acme/shop:2.1 …` or `docker pull acme/shop:2.1`). Then run `prodlike up` again.');
  });
});
