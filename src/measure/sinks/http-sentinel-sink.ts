import { randomUUID } from 'node:crypto';
import type { SurvivingRecord } from '../rpo.ts';
import type { SentinelRecord, SentinelSink } from '../sentinel-writer.ts';

export interface HttpSentinelSinkOptions {
  /** The write endpoint, e.g. `http://127.0.0.1:8080/api/records`. */
  url: string;
  /** Identifies this writer's records. Default `sentinel-<uuid>` (fresh per sink, so seqs start at 0). */
  clientId?: string;
  /**
   * Builds the JSON body. Default: the reference app's contract `{ clientId, seq, ts }` with `ts` in epoch
   * milliseconds (fixtures/app: POST /api/records accepts `{ clientId, seq, ts: ISO | epoch ms, payload? }`).
   */
  body?: (record: SentinelRecord, clientId: string) => unknown;
  headers?: Record<string, string>;
  /** Status codes meaning "stored". Default any 2xx. */
  acceptStatus?: (status: number) => boolean;
  /**
   * How to read back what survived for this clientId. The app has no per-record listing endpoint, so the
   * usual choice is `appRecordsReader` (reads the app's `records` table directly). Required: RPO is never
   * assumed.
   */
  readBack: (clientId: string, range: { fromSeq: number; toSeq: number }) => Promise<SurvivingRecord[]>;
}

/** Sentinel records written through the application's HTTP API: acknowledged = a 2xx answer. */
export function httpSentinelSink(options: HttpSentinelSinkOptions): SentinelSink {
  const clientId = options.clientId ?? `sentinel-${randomUUID()}`;
  const body = options.body ?? ((r: SentinelRecord, id: string) => ({ clientId: id, seq: r.seq, ts: r.writtenAt }));
  const accept = options.acceptStatus ?? ((s: number) => s >= 200 && s < 300);
  return {
    kind: 'http',
    target: `POST ${options.url} (clientId ${clientId})`,
    async prepare() {
      return { nextSeq: 0 };
    },
    async write(record, signal) {
      const response = await fetch(options.url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(body(record, clientId)),
      });
      const text = await response.text();
      if (!accept(response.status)) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    },
    readBack: (range) => options.readBack(clientId, range),
    async close() {},
  };
}
