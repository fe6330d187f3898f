import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentStore, type EnvironmentState } from './environment-state.ts';

describe('EnvironmentStore.readStateOf', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('returns the state only when it records that provider (a stale file of the other provider is not carried over)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-state-'));
    dirs.push(dir);
    const store = new EnvironmentStore(dir, 'prodlike');
    expect(await store.readStateOf('docker')).toBeUndefined();
    const state: EnvironmentState = { env: 'prodlike', provider: 'docker', runId: 'r', createdAt: '2026-12-03T22:07:15.288Z', imageSource: 'offline', replicas: { backend: 2 } };
    await store.writeState(state);
    expect(await store.readStateOf('docker')).toEqual(state);
    expect(await store.readStateOf('kind')).toBeUndefined();
  });
});
