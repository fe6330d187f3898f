import { randomUUID } from 'node:crypto';
import { Client as MinioClient } from 'minio';
import type { Endpoint } from '../../src/providers/provider.ts';
import { SENTINEL_PREFIX, type AppApi } from './app-api.ts';

export interface ObjectStoreAccess {
  endpoint: Endpoint;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

/**
 * Objects whose survival a scenario checks: stored through the application's files endpoint when it declares
 * one (acknowledged = the application answered), otherwise written by prodlike itself into the configured
 * bucket under its own prefix (acknowledged = the S3 PUT answered). `what` says which, for the report.
 */
export function objectSentinels(app: AppApi, store: ObjectStoreAccess): {
  what: string;
  put(name: string, body: string): Promise<string>;
  get(id: string): Promise<{ status: number; body: string }>;
} {
  if (app.has('files')) {
    return { what: 'stored and read back through the application\'s files endpoint', put: (name, body) => app.upload(name, body), get: (id) => app.download(id) };
  }
  const s3 = new MinioClient({ endPoint: store.endpoint.host, port: store.endpoint.port, useSSL: false, accessKey: store.accessKey, secretKey: store.secretKey });
  return {
    what: `written and read back by prodlike under ${SENTINEL_PREFIX} in bucket ${store.bucket} (the application declares no files endpoint)`,
    async put(name, body) {
      const key = `${SENTINEL_PREFIX}${randomUUID()}-${name}`;
      await s3.putObject(store.bucket, key, Buffer.from(body), Buffer.byteLength(body), { 'Content-Type': 'text/plain' });
      return key;
    },
    async get(key) {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of await s3.getObject(store.bucket, key)) chunks.push(chunk as Buffer);
        return { status: 200, body: Buffer.concat(chunks).toString('utf8') };
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'NoSuchKey' || code === 'NotFound') return { status: 404, body: '' };
        throw error;
      }
    },
  };
}
