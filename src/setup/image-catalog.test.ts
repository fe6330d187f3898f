import { describe, expect, it } from 'vitest';
import { imageFor, kustomizeImages, loadImageCatalog, splitImage } from './image-catalog.ts';
import { resolveImageSource } from './image-source.ts';

describe('image catalogue', () => {
  it('pins every image by tag, never latest, in one file', async () => {
    const catalog = await loadImageCatalog();
    for (const entry of [...Object.values(catalog.images), catalog.kindNode]) {
      for (const ref of [entry.online, entry.offline]) {
        expect(ref).toMatch(/:[A-Za-z0-9._-]+$/);
        expect(ref.endsWith(':latest')).toBe(false);
      }
      expect(entry.offline.startsWith(`${catalog.localPrefix}/`)).toBe(true);
    }
  });

  it('maps documented official images to local ones offline, and to themselves online', async () => {
    const catalog = await loadImageCatalog();
    expect(imageFor(catalog, 'postgres', 'online')).toBe('postgres:15-alpine');
    expect(imageFor(catalog, 'redis', 'online')).toBe('redis:7.0-alpine');
    expect(imageFor(catalog, 'postgres', 'offline')).toMatch(/^prodlike\.local\/postgres:15/);
    expect(kustomizeImages(catalog, 'online')).toEqual([]);
    const offline = kustomizeImages(catalog, 'offline');
    expect(offline).toContainEqual({ name: 'postgres', newName: 'prodlike.local/postgres', newTag: splitImage(catalog.images.postgres!.offline).tag });
    expect(offline).toContainEqual({ name: 'redis', newName: 'prodlike.local/redis', newTag: splitImage(catalog.images.redis!.offline).tag });
    expect(offline.map((m) => m.name)).toContain(splitImage(catalog.images.minio!.online).name);
  });

  it('splits references with registries and ports', () => {
    expect(splitImage('localhost:5000/a/b:1.2')).toEqual({ name: 'localhost:5000/a/b', tag: '1.2' });
  });
});

describe('image source', () => {
  it('uses the setting as is, and probes once for auto', async () => {
    let probes = 0;
    const probe = async () => {
      probes += 1;
      return false;
    };
    expect((await resolveImageSource('online', probe)).source).toBe('online');
    expect((await resolveImageSource('offline', probe)).source).toBe('offline');
    expect(probes).toBe(0);
    expect(await resolveImageSource('auto', probe)).toMatchObject({ source: 'offline', reason: expect.stringMatching(/no registry/) });
    expect((await resolveImageSource('auto', async () => true)).source).toBe('online');
    expect(probes).toBe(1);
  });
});
