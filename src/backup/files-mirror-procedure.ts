import type { Client as MinioClient } from 'minio';
import { hrNow } from '../measure/clock.ts';
import type { Provider, ProviderEventWatch, SupportsEndpoints } from '../providers/provider.ts';
import { backupStore } from './common.ts';
import type { FilesMirrorProcedure, ProcedureContext } from './procedure.ts';

/**
 * The files' backup: every object of the application's artifacts bucket (`objectStore.bucket`) copied
 * server-side into the backup bucket under `files/`, deleted, copied back. It needs only MinIO's published
 * endpoint, so one implementation serves every provider that publishes endpoints (docker and kind alike).
 */
export class FilesMirror implements FilesMirrorProcedure {
  readonly title = 'Files: backup, delete, restore, verify checksums';
  readonly #ctx: ProcedureContext;
  readonly #provider: Provider & SupportsEndpoints;
  #s3: Promise<MinioClient> | undefined;

  constructor(ctx: ProcedureContext, provider: Provider & SupportsEndpoints) {
    this.#ctx = ctx;
    this.#provider = provider;
  }

  /** MinIO on its published endpoint, the backup bucket created if missing (one client for the scenario). */
  #store(): Promise<MinioClient> {
    this.#s3 ??= backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    return this.#s3;
  }

  get #bucket(): string {
    return this.#ctx.config.objectStore.bucket;
  }

  /** No provider events: the procedure talks to MinIO only. */
  async watch(): Promise<ProviderEventWatch> {
    return { stop: async () => [] };
  }

  async mirror(): Promise<string[]> {
    const s3 = await this.#store();
    const objects: string[] = [];
    for await (const o of s3.listObjectsV2(this.#bucket, '', true)) if (o.name) objects.push(o.name);
    const backupAt = hrNow();
    for (const name of objects) await s3.copyObject(this.#ctx.config.backup.bucket, `files/${name}`, `/${this.#bucket}/${name}`);
    this.#ctx.timeline.add({ at: backupAt, type: 'backup.completed', source: 'harness', subject: 'files', detail: `${objects.length} objects` });
    return objects;
  }

  async destroy(objects: readonly string[]): Promise<number> {
    const s3 = await this.#store();
    const faultAt = hrNow();
    await s3.removeObjects(this.#bucket, [...objects]);
    this.#ctx.timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'files', detail: `deleted ${objects.length} objects` });
    return faultAt;
  }

  async restore(objects: readonly string[]): Promise<void> {
    const s3 = await this.#store();
    for (const name of objects) await s3.copyObject(this.#bucket, name, `/${this.#ctx.config.backup.bucket}/files/${name}`);
  }

  async cleanup(): Promise<void> {}
}
