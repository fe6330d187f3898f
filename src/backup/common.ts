import { createHash } from 'node:crypto';
import { Client as MinioClient } from 'minio';
import { resourcePrefix, type EnvironmentSecrets } from '../providers/docker/topology.ts';
import { canEndpoint, canExec, canJobs, canLifecycle, type Provider, type SupportsEndpoints, type SupportsExec, type SupportsJobs, type SupportsLifecycle } from '../providers/provider.ts';

/**
 * Shared pieces of the backup/restore procedures (document 001 §Backup and Recovery, made executable on the
 * docker provider): the backup bucket, the job runner they need and the volume names of the stateful services.
 */

/** What the procedures need from a provider: one-off jobs, exec, stop/start/restart, endpoints and logs (the docker provider has them all). */
export type BackupProvider = Pick<Provider, 'logs'> & SupportsJobs & SupportsExec & Pick<SupportsLifecycle, 'stop' | 'start' | 'restart'> & SupportsEndpoints;

/** Does `provider` offer what the backup procedures need? (The guard that replaces a cast to DockerProvider.) */
export function canBackup(provider: Provider): provider is Provider & BackupProvider {
  return canJobs(provider) && canExec(provider) && canLifecycle(provider) && canEndpoint(provider);
}

/** The named volume of a stateful service (`<prefix>-<role>-data`, see topology.ts). */
export function dataVolume(envName: string, role: 'postgres' | 'redis' | 'minio'): string {
  return `${resourcePrefix(envName)}-${role}-data`;
}

/** A host-side MinIO client on the published port, with the backup bucket (`backup.bucket` of the configuration) created if missing. */
export async function backupStore(provider: SupportsEndpoints, secrets: EnvironmentSecrets, bucket: string): Promise<MinioClient> {
  const ep = await provider.endpoint('minio');
  const s3 = new MinioClient({ endPoint: ep.host, port: ep.port, useSSL: false, accessKey: secrets.minioAccessKey, secretKey: secrets.minioSecretKey });
  if (!(await s3.bucketExists(bucket))) await s3.makeBucket(bucket);
  return s3;
}

/**
 * Environment for a job container running the MinIO image (it ships `mc`): the alias `backup` for the
 * environment's MinIO at `minio` (host:port on the job's network, `SupportsJobs.jobAddress('minio')`;
 * `mc cp x backup/<bucket>/…`), through the job's environment, never argv.
 */
export function mcEnv(secrets: EnvironmentSecrets, minio: string): Record<string, string> {
  return { MC_HOST_backup: `http://${encodeURIComponent(secrets.minioAccessKey)}:${encodeURIComponent(secrets.minioSecretKey)}@${minio}` };
}

export function sha256Of(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Fails with the job's logs when a job container exited non-zero. */
export function assertJobOk(what: string, result: { exitCode: number; logs: string }): void {
  if (result.exitCode !== 0) throw new Error(`${what} failed (exit ${result.exitCode}):\n${result.logs.trim().split('\n').slice(-20).join('\n')}`);
}

/** A single-quoted shell word. */
export function shq(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
