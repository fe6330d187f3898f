import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from './errors.ts';
import { ciPrerequisites, dockerEngineMissing, firstMissing, imagesMissing, missingImages, requires } from './prerequisites.ts';

const fakeDocker = (inspect: (image: string) => Promise<unknown>, ping: () => Promise<unknown> = async () => 'OK') => ({ ping, getImage: (image: string) => ({ inspect: () => inspect(image) }) }) as unknown as Docker;
const apiError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

describe('requires', () => {
  it('is undefined when nothing is missing, the reason when something is', () => {
    expect(requires('images', undefined, {})).toBeUndefined();
    expect(requires('images', 'images missing: x', {})).toBe('images missing: x');
  });

  it('turns a skip into a failure for what CI set up (CI=true and PRODLIKE_CI_PREREQS)', () => {
    const ci = { CI: 'true', PRODLIKE_CI_PREREQS: 'docker,images' };
    expect(() => requires('images', 'images missing: x', ci)).toThrow(ProdlikeError);
    expect(() => requires('images', 'images missing: x', ci)).toThrow(/CI set it up/);
    // kind-node was not set up by CI: still a skip.
    expect(requires('kind-node', 'kind node image missing', ci)).toBe('kind node image missing');
    // Without CI=true the list is ignored (a developer's shell that kept the variable).
    expect(requires('images', 'images missing: x', { PRODLIKE_CI_PREREQS: 'images' })).toBe('images missing: x');
  });

  it('reads the list with spaces and empty items', () => {
    expect([...ciPrerequisites({ CI: 'true', PRODLIKE_CI_PREREQS: ' docker, ,kind-node ' })]).toEqual(['docker', 'kind-node']);
    expect(ciPrerequisites({ CI: 'false', PRODLIKE_CI_PREREQS: 'docker' }).size).toBe(0);
  });

  it('firstMissing stops at the first missing prerequisite', async () => {
    const seen: string[] = [];
    const reason = await firstMissing([
      ['docker', async () => { seen.push('docker'); return undefined; }],
      ['images', async () => { seen.push('images'); return 'no images'; }],
      ['kind-node', async () => { seen.push('kind-node'); return 'no node'; }],
    ], {});
    expect(reason).toBe('no images');
    expect(seen).toEqual(['docker', 'images']);
  });
});

describe('image and engine checks', () => {
  it('counts only a 404 as a missing image', async () => {
    const docker = fakeDocker(async (image) => {
      if (image === 'gone') throw apiError(404, 'no such image: gone');
      return {};
    });
    expect(await missingImages(docker, ['here', 'gone'])).toEqual(['gone']);
    expect(await imagesMissing(docker, ['here'])).toBeUndefined();
    expect(await imagesMissing(docker, ['gone'], 'npx prodlike setup --kind')).toBe('images missing: gone (run `npx prodlike setup --kind`)');
  });

  it('fails on any other Docker API error instead of skipping', async () => {
    const docker = fakeDocker(async () => { throw apiError(500, 'server error'); });
    await expect(missingImages(docker, ['x'])).rejects.toThrow(/Checking image x failed: server error/);
  });

  it('an unreachable engine is a missing prerequisite; an engine that answers with an error is a failure', async () => {
    const refused = fakeDocker(async () => ({}), async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); });
    expect(await dockerEngineMissing(refused)).toMatch(/no Docker engine \(ECONNREFUSED/);
    const broken = fakeDocker(async () => ({}), async () => { throw apiError(500, 'daemon error'); });
    await expect(dockerEngineMissing(broken)).rejects.toThrow(/Checking the Docker engine failed/);
    expect(await dockerEngineMissing(fakeDocker(async () => ({})))).toBeUndefined();
  });
});
