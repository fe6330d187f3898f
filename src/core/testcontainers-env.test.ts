import { describe, expect, it } from 'vitest';
import { configureTestcontainers, engineIsLocal } from './testcontainers-env.ts';

describe('configureTestcontainers', () => {
  it('pins the host to loopback and turns the reaper off for a local engine', () => {
    const env: NodeJS.ProcessEnv = {};
    configureTestcontainers(env);
    expect(env).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' });
  });

  it('keeps what the caller set', () => {
    const env: NodeJS.ProcessEnv = { TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: '10.0.0.5' };
    configureTestcontainers(env);
    expect(env).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: '10.0.0.5' });
  });

  it('leaves the host alone for a remote engine', () => {
    const env: NodeJS.ProcessEnv = { DOCKER_HOST: 'tcp://build-box:2376' };
    configureTestcontainers(env);
    expect(env.TESTCONTAINERS_HOST_OVERRIDE).toBeUndefined();
    expect(engineIsLocal(env)).toBe(false);
    expect(engineIsLocal({ DOCKER_HOST: 'unix:///var/run/docker.sock' })).toBe(true);
  });
});
