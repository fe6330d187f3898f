import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { withBuildImages } from './create-provider.ts';

const images = { postgres: 'p:1', redis: 'r:1', minio: 'm:1', nginx: 'n:1', app: 'local/app:1', frontend: 'local/frontend:1' };

describe('withBuildImages', () => {
  it('keeps the catalogue images without build:, and gives the built image to the roles an entry names', () => {
    expect(withBuildImages(images, undefined)).toEqual(images);
    expect(withBuildImages(images, [{ image: 'team/api:2', context: '.' }])).toEqual({ ...images, app: 'team/api:2' });
    expect(withBuildImages(images, [{ image: 'team/web:2', context: 'web', roles: ['frontend'] }])).toEqual({ ...images, frontend: 'team/web:2' });
  });

  it('refuses two images for backend and worker, which share one on docker', () => {
    expect(() => withBuildImages(images, [{ image: 'a:1', context: '.', roles: ['backend'] }, { image: 'b:1', context: '.', roles: ['worker'] }])).toThrow(ConfigError);
  });
});
