import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkloadRole } from '../config/schema.ts';
import { stateDir } from '../core/paths.ts';
import type { EnvironmentSecrets } from './docker/topology.ts';

/**
 * Per-environment state under `<project>/.prodlike/<env>/`: `state.json` (what `up` created, so
 * `status`, `run` and `down` attach later) and `secrets.json` (0600; generated with a CSPRNG).
 */
export interface EnvironmentState {
  env: string;
  provider: 'docker' | 'kind' | 'cluster';
  runId: string;
  createdAt: string;
  imageSource: 'online' | 'offline';
  replicas: Partial<Record<WorkloadRole, number>>;
}

export class EnvironmentStore {
  readonly dir: string;

  constructor(projectDir: string, readonly envName: string) {
    this.dir = stateDir(projectDir, envName);
  }

  async readState(): Promise<EnvironmentState | undefined> {
    const file = join(this.dir, 'state.json');
    if (!existsSync(file)) return undefined;
    return JSON.parse(await readFile(file, 'utf8')) as EnvironmentState;
  }

  /**
   * The state when it records `provider`; undefined otherwise. `up` on one provider may find the state file of
   * the same name left by the other one whose environment is gone (a stale file does not block: see
   * environment-conflicts.ts): the new environment starts its own record instead of carrying the other's.
   */
  async readStateOf(provider: EnvironmentState['provider']): Promise<EnvironmentState | undefined> {
    const state = await this.readState();
    return state?.provider === provider ? state : undefined;
  }

  async writeState(state: EnvironmentState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Whether this environment has credentials on disk (false for a new one, or after its state was deleted). */
  hasSecrets(): boolean {
    return existsSync(join(this.dir, 'secrets.json'));
  }

  /** Existing secrets, or new ones (24 random bytes each, hex) written with mode 0600. */
  async secrets(): Promise<EnvironmentSecrets> {
    const file = join(this.dir, 'secrets.json');
    if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as EnvironmentSecrets;
    // Hex: safe in URLs, shells and command lines (a base64url value can start with '-' and read as a flag).
    const secret = (bytes = 24) => randomBytes(bytes).toString('hex');
    const secrets: EnvironmentSecrets = {
      postgresPassword: secret(),
      redisPassword: secret(),
      minioAccessKey: `prodlike${randomBytes(6).toString('hex')}`,
      minioSecretKey: secret(),
    };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return secrets;
  }

  /**
   * The environment's secrets with `adopted` values taken over (kind: credentials the team's own manifests
   * carry, `credentials:`), written back with mode 0600 when one changed so every later reader (probes,
   * `connect`, sentinels) uses them.
   */
  async adoptSecrets(adopted: Partial<EnvironmentSecrets>): Promise<EnvironmentSecrets> {
    const current = await this.secrets();
    const next = { ...current, ...adopted };
    if (Object.entries(adopted).every(([k, v]) => current[k as keyof EnvironmentSecrets] === v)) return current;
    const file = join(this.dir, 'secrets.json');
    await writeFile(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return next;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}
