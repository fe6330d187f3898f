import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { EnvironmentStore } from '../environment-state.ts';
import { teamCredentials } from './team-credentials.ts';

const config = (credentials: unknown) => configSchema.parse({
  topology: { minio: { namespace: 'saasit-production' } },
  credentials,
});
const secret = (name: string, namespace: string, body: { data?: Record<string, string>; stringData?: Record<string, string> }): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, ...body }) as KubeObject;

describe('teamCredentials', () => {
  const rendered = [
    secret('minio-dev', 'saasit-production', { data: { MINIO_ROOT_USER: Buffer.from('devuser').toString('base64') }, stringData: { MINIO_ROOT_PASSWORD: 'dev-password-1' } }),
    secret('minio-dev', 'other', { stringData: { MINIO_ROOT_PASSWORD: 'wrong-namespace' } }),
  ];

  it('reads data (base64) and stringData from the Secret in the role\'s namespace', () => {
    const c = config({ 'minio.accessKey': { secret: 'minio-dev', key: 'MINIO_ROOT_USER' }, 'minio.secretKey': { secret: 'minio-dev', key: 'MINIO_ROOT_PASSWORD' } });
    expect(teamCredentials(rendered, c)).toEqual({ minioAccessKey: 'devuser', minioSecretKey: 'dev-password-1' });
  });

  it('an explicit namespace overrides the role\'s', () => {
    const c = config({ 'minio.secretKey': { secret: 'minio-dev', namespace: 'other', key: 'MINIO_ROOT_PASSWORD' } });
    expect(teamCredentials(rendered, c)).toEqual({ minioSecretKey: 'wrong-namespace' });
  });

  it('nothing configured: nothing adopted (prodlike generates every credential)', () => {
    expect(teamCredentials(rendered, configSchema.parse({}))).toEqual({});
  });

  it('a Secret or key the manifests do not define is a configuration error naming the entry and the keys there are', () => {
    expect(() => teamCredentials(rendered, config({ 'postgres.password': { secret: 'db-dev', key: 'password' } }))).toThrow(/credentials\.postgres\.password \(Secret app-backend\/db-dev, key password\): the rendered manifests define no such Secret/);
    expect(() => teamCredentials(rendered, config({ 'minio.secretKey': { secret: 'minio-dev', key: 'PASSWORD' } }))).toThrow(/no value under that key \(keys: MINIO_ROOT_PASSWORD, MINIO_ROOT_USER\)/);
  });

  it('rejects an unknown credential name in the configuration', () => {
    expect(() => config({ 'postgres.user': { secret: 'x', key: 'y' } })).toThrow();
  });
});

describe('EnvironmentStore.adoptSecrets', () => {
  it('takes the team\'s values over the generated ones and keeps the file 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-adopt-'));
    try {
      const store = new EnvironmentStore(dir, 'adopt');
      const generated = await store.secrets();
      const adopted = await store.adoptSecrets({ minioSecretKey: 'dev-password-1' });
      expect(adopted).toEqual({ ...generated, minioSecretKey: 'dev-password-1' });
      expect(await store.secrets()).toEqual(adopted);
      expect((await stat(join(store.dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
