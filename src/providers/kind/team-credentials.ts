import type { CredentialName, ProdlikeConfig, WorkloadRole } from '../../config/schema.ts';
import { resolveWorkload } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { KubeObject } from '../../kube/objects.ts';
import type { EnvironmentSecrets } from '../docker/topology.ts';

const FIELD: Readonly<Record<CredentialName, keyof EnvironmentSecrets>> = {
  'postgres.password': 'postgresPassword',
  'redis.password': 'redisPassword',
  'minio.accessKey': 'minioAccessKey',
  'minio.secretKey': 'minioSecretKey',
};

type SecretObject = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/**
 * The credentials `credentials:` says the team's own manifests carry, read from the rendered Secrets
 * (stringData wins over data, as the API server merges them). A Secret or key the manifests do not
 * define is a configuration error naming the entry: prodlike cannot read a value that only exists in
 * the team's vault, and guessing one would fail every probe later with "authentication failed".
 */
export function teamCredentials(rendered: readonly KubeObject[], config: Pick<ProdlikeConfig, 'credentials' | 'topology'>): Partial<EnvironmentSecrets> {
  const out: Partial<EnvironmentSecrets> = {};
  for (const [name, from] of Object.entries(config.credentials) as [CredentialName, { secret: string; namespace?: string | undefined; key: string }][]) {
    const role = name.split('.')[0] as WorkloadRole;
    const namespace = from.namespace ?? resolveWorkload(config as ProdlikeConfig, role).namespace;
    const secret = rendered.find((o): o is SecretObject => o.kind === 'Secret' && o.metadata.name === from.secret && (o.metadata.namespace ?? 'default') === namespace);
    const where = `credentials.${name} (Secret ${namespace}/${from.secret}, key ${from.key})`;
    if (!secret) {
      throw new ProdlikeError('CONFIG_INVALID', `${where}: the rendered manifests define no such Secret.`, {
        hint: 'Name a Secret your kustomization renders (e.g. a laptop overlay\'s dev credentials), or remove the entry to let prodlike generate the credential.',
      });
    }
    const text = secret.stringData?.[from.key];
    const encoded = secret.data?.[from.key];
    const value = text ?? (encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8'));
    if (value === undefined || value === '') {
      throw new ProdlikeError('CONFIG_INVALID', `${where}: the Secret has no value under that key (keys: ${[...Object.keys(secret.stringData ?? {}), ...Object.keys(secret.data ?? {})].join(', ') || 'none'}).`, {
        hint: 'Fix the key in prodlike.yaml (credentials:) or in the Secret.',
      });
    }
    out[FIELD[name]] = value;
  }
  return out;
}
