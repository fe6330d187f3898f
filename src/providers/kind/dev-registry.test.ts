import { describe, expect, it } from 'vitest';
import { devRegistryName, registryRef } from './dev-registry.ts';

describe('dev registry names', () => {
  it('one registry per environment, named after it', () => {
    expect(devRegistryName('dev')).toBe('prodlike-registry-dev');
  });

  it('an image under the registry host keeps its own path and tag (docker.io/ dropped)', () => {
    expect(registryRef('127.0.0.1:32768', 'prodlike.local/app:0.1.0-dev.0123456789ab')).toBe('127.0.0.1:32768/prodlike.local/app:0.1.0-dev.0123456789ab');
    expect(registryRef('prodlike-registry-dev:5000', 'docker.io/library/node:20')).toBe('prodlike-registry-dev:5000/library/node:20');
  });
});
