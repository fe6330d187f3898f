import http from 'node:http';
import https from 'node:https';
import { Client } from 'minio';
import type { ProbeCheck } from '../availability-probe.ts';

export interface S3CheckOptions {
  /** e.g. `http://127.0.0.1:9000` */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
}

/**
 * S3 HEAD bucket through the minio client (`bucketExists`); ok when the bucket exists. A missing bucket is
 * a failure too (the application could not store files). The client's built-in retry is disabled: one
 * attempt is one request. After a timeout the HTTP agent is destroyed
 * (abandoning its sockets) and a new client is made for the next attempt.
 */
export function s3Check(options: S3CheckOptions): ProbeCheck {
  const url = new URL(options.endpoint);
  const useSSL = url.protocol === 'https:';
  let agent: http.Agent | undefined;
  let client: Client | undefined;

  const current = (): { client: Client; agent: http.Agent } => {
    if (!client || !agent) {
      agent = useSSL ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
      client = new Client({
        endPoint: url.hostname,
        port: Number(url.port || (useSSL ? 443 : 80)),
        useSSL,
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region: options.region ?? 'us-east-1',
        pathStyle: true,
        transportAgent: agent,
        // The client's own retry (with a console warning) would hide failures from the probe.
        retryOptions: { disableRetry: true },
      });
    }
    return { client, agent };
  };

  const reset = (stale: http.Agent) => {
    if (agent !== stale) return;
    agent = undefined;
    client = undefined;
    stale.destroy();
  };

  return {
    kind: 's3',
    target: `HEAD bucket ${options.bucket} at ${url.origin}`,
    async run(signal) {
      const { client: c, agent: a } = current();
      const onAbort = () => reset(a);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const exists = await c.bucketExists(options.bucket);
        if (!exists) throw new Error(`bucket ${options.bucket} does not exist`);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (agent) reset(agent);
    },
  };
}
