import type Docker from 'dockerode';
import { ProdlikeError } from './errors.ts';

/**
 * What a test suite can need from the host. `.ci/run` announces the ones it set up in
 * PRODLIKE_CI_PREREQS (comma-separated): there, a skip for one of them would hide a failure.
 *   docker     a reachable Docker engine
 *   images     the topology images (prodlike.local/…, `prodlike setup`)
 *   kind-node  the kind node image and the kind binary (`prodlike setup --kind`)
 *   k6         k6 on this host ($PRODLIKE_CACHE/bin/k6 or PATH)
 *   k6-image   the k6 image (k6 as a Job inside a kind cluster)
 *   engine-mirror  consent and the means to give this host's Docker engine a registry mirror for a test's duration
 *              (PRODLIKE_ONLINE_IT=1, root, a local dockerd reading /etc/docker/daemon.json): the online-path test
 */
export const PREREQUISITES = ['docker', 'images', 'kind-node', 'k6', 'k6-image', 'engine-mirror'] as const;
export type Prerequisite = (typeof PREREQUISITES)[number];

/** The prerequisites CI set up, from PRODLIKE_CI_PREREQS, when CI=true; empty otherwise. */
export function ciPrerequisites(env: NodeJS.ProcessEnv = process.env): Set<string> {
  if (env.CI !== 'true') return new Set();
  return new Set((env.PRODLIKE_CI_PREREQS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

/**
 * The one gate between "missing prerequisite" and "failure": `missing` is why `capability` is absent
 * (undefined when present). Returns the skip reason — or throws (exit 3) when CI set this prerequisite up,
 * because there a skip would turn a broken setup into a green run.
 */
export function requires(capability: Prerequisite, missing: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (missing === undefined || missing === '') return undefined;
  if (ciPrerequisites(env).has(capability)) {
    throw new ProdlikeError('PROVIDER_FAILED', `Prerequisite "${capability}" is missing although CI set it up (PRODLIKE_CI_PREREQS=${env.PRODLIKE_CI_PREREQS}): ${missing}`, {
      hint: 'CI prepared this prerequisite, so a skip would hide a failure: see the setup output of .ci/run above.',
      details: { capability, missing },
    });
  }
  return missing;
}

/** Runs the checks in order and returns the first skip reason (each through `requires`), or undefined. */
export async function firstMissing(checks: ReadonlyArray<readonly [Prerequisite, () => Promise<string | undefined>]>, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const [capability, check] of checks) {
    const reason = requires(capability, await check(), env);
    if (reason) return reason;
  }
  return undefined;
}

/** Errors that mean "no engine here" (a skip); anything else while asking the engine is a failure. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/** Why the Docker engine is unreachable, or undefined when it answers. Other errors are thrown. */
export async function dockerEngineMissing(docker: Docker): Promise<string | undefined> {
  try {
    await docker.ping();
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && UNREACHABLE.has(code)) return `no Docker engine (${code}; run \`npx prodlike setup\`)`;
    throw new ProdlikeError('DOCKER_UNAVAILABLE', `Checking the Docker engine failed: ${(error as Error).message}`, { cause: error, hint: 'The engine answered with an error: check `docker info`.' });
  }
}

/**
 * The images of `images` that are not present. Only a 404 (no such image) counts as missing; any other
 * error of the Docker API while checking is thrown: it is a failure, not a missing prerequisite.
 */
export async function missingImages(docker: Docker, images: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) missing.push(image);
      else throw new ProdlikeError('DOCKER_UNAVAILABLE', `Checking image ${image} failed: ${(error as Error).message}`, { cause: error, hint: 'Only a missing image is a reason to skip; check `docker image inspect` and the engine.' });
    }
  }
  return missing;
}

/** "images missing: a, b (run `<setup>`)" or undefined. */
export async function imagesMissing(docker: Docker, images: readonly string[], setup = 'npx prodlike setup'): Promise<string | undefined> {
  const missing = await missingImages(docker, images);
  return missing.length ? `images missing: ${missing.join(', ')} (run \`${setup}\`)` : undefined;
}
