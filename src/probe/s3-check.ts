import http from 'node:http';
import https from 'node:https';
import { Client } from 'minio';
import type { ProbeCheck } from './check.ts';

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
 * attempt is one request. After a timeout the client (and its keep-alive agent) is replaced for the next
 * attempts; the old agent is destroyed once none of its requests is waiting any more (or at `close()`), so
 * a timed-out attempt does not reset the requests of other attempts that may still be answered.
 */
export function s3Check(options: S3CheckOptions): ProbeCheck {
  const url = new URL(options.endpoint);
  const useSSL = url.protocol === 'https:';
  interface Slot {
    client: Client;
    agent: http.Agent;
    pending: number;
    stale: boolean;
  }
  let current: Slot | undefined;
  const stale = new Set<Slot>();

  const slot = (): Slot => {
    if (!current) {
      const agent = useSSL ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
      const client = new Client({
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
      current = { client, agent, pending: 0, stale: false };
    }
    return current;
  };

  const retire = (s: Slot) => {
    if (current === s) current = undefined;
    s.stale = true;
    stale.add(s);
    if (s.pending === 0) {
      stale.delete(s);
      s.agent.destroy();
    }
  };

  return {
    kind: 's3',
    target: `HEAD bucket ${options.bucket} at ${url.origin}`,
    async run(signal) {
      const s = slot();
      const onAbort = () => retire(s);
      signal.addEventListener('abort', onAbort, { once: true });
      s.pending += 1;
      try {
        const exists = await s.client.bucketExists(options.bucket);
        if (!exists) throw new Error(`bucket ${options.bucket} does not exist`);
      } finally {
        s.pending -= 1;
        signal.removeEventListener('abort', onAbort);
        if (s.stale && s.pending === 0) retire(s);
      }
    },
    async close() {
      if (current) retire(current);
      for (const s of stale) s.agent.destroy();
      stale.clear();
    },
  };
}
