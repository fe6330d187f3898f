import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect, type SecureVersion } from 'node:tls';

/**
 * Client-side measurements of a network edge (an ingress controller) from this host, as a user's client
 * sees it: which TLS versions a handshake succeeds with (and the certificate served for a server name), what
 * plain HTTP answers (a redirect), and how many requests a rate limit admits from one client. Loopback only:
 * every address here is the caller's (127.0.0.1 and the environment's ports).
 */

export interface HandshakeResult {
  version: SecureVersion;
  /** The server completed a handshake at this version. */
  accepted: boolean;
  /** The client could not even offer this version (its OpenSSL forbids it): no server answer was measured. */
  clientCannotOffer?: boolean;
  /** Negotiated protocol, when accepted. */
  protocol?: string;
  /** The served certificate's subject, subjectAltName and issuer, when accepted. */
  certificate?: { subject: string; subjectAltName: string; issuer: string; selfSigned: boolean };
  /** Why it failed (the OpenSSL/Node error code and message). */
  error?: string;
  ms: number;
}

const CLIENT_SIDE = /NO_PROTOCOLS_AVAILABLE|UNSUPPORTED_PROTOCOL|no protocols available|ERR_TLS_INVALID_PROTOCOL_VERSION/i;

/**
 * One TLS handshake at exactly `version` with SNI `servername`. Versions below 1.2 are offered with OpenSSL
 * security level 0 (Node's default level refuses to), so a refusal is the server's; if this OpenSSL cannot
 * offer the version at all, `clientCannotOffer` says so instead of claiming a server refusal.
 */
export async function tlsHandshake(options: { host: string; port: number; servername: string; version: SecureVersion; timeoutMs?: number }): Promise<HandshakeResult> {
  const started = performance.now();
  const legacy = options.version === 'TLSv1' || options.version === 'TLSv1.1';
  return new Promise((resolve) => {
    const done = (r: Omit<HandshakeResult, 'version' | 'ms'>) => {
      socket.destroy();
      resolve({ version: options.version, ms: Math.round(performance.now() - started), ...r });
    };
    const socket = connect({
      host: options.host, port: options.port, servername: options.servername, rejectUnauthorized: false,
      minVersion: options.version, maxVersion: options.version, ...(legacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    });
    socket.setTimeout(options.timeoutMs ?? 5000, () => done({ accepted: false, error: 'timeout' }));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const name = (x: Record<string, string | string[]> | undefined) => Object.entries(x ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
      done({
        accepted: true,
        protocol: socket.getProtocol() ?? options.version,
        certificate: { subject: name(cert.subject as never), subjectAltName: cert.subjectaltname ?? '', issuer: name(cert.issuer as never), selfSigned: name(cert.subject as never) === name(cert.issuer as never) },
      });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const text = `${error.code ?? 'error'}: ${error.message.split('\n')[0]!.replace(/^.*:(SSL routines:)/, '$1').slice(0, 120)}`;
      done({ accepted: false, error: text, ...(CLIENT_SIDE.test(text) ? { clientCannotOffer: true } : {}) });
    });
  });
}

export interface EdgeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first 200 characters of the body. */
  body: string;
  ms: number;
}

/**
 * One GET to 127.0.0.1:`port` with `Host: host` (and SNI `host` over https), following no redirect. `agent` is
 * reused by callers that send many requests (keep-alive, as a browser or a load generator does).
 */
export async function edgeGet(options: { scheme: 'http' | 'https'; port: number; host: string; path: string; agent?: Agent; timeoutMs?: number }): Promise<EdgeResponse> {
  const started = performance.now();
  const base = { host: '127.0.0.1', port: options.port, path: options.path, method: 'GET', headers: { host: options.host }, timeout: options.timeoutMs ?? 5000 };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 200) body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body.slice(0, 200), ms: Math.round(performance.now() - started) }));
      res.on('error', reject);
    };
    const req = options.scheme === 'https'
      ? httpsRequest({ ...base, servername: options.host, rejectUnauthorized: false, ...(options.agent ? { agent: options.agent } : {}) }, onResponse)
      : httpRequest(base, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${options.scheme}://${options.host}${options.path} via 127.0.0.1:${options.port}: no answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface RateSample {
  /** Requests sent; let through by the limiter (any answer but its status); refused with its status; no answer at all. */
  sent: number;
  admitted: number;
  rejected: number;
  errors: number;
  /** Count per status code (`error`: no answer). */
  statuses: Record<string, number>;
  /** First send to last answer. */
  ms: number;
  /**
   * The time the requests were offered over: first send to last send plus one interval of the rate (so `rate`
   * requests per second for `seconds` offer exactly `seconds` when every send is on time). A loaded host sends
   * late; an admitted rate is admitted requests over this window, not over the nominal one. Burst: `ms`.
   */
  offeredMs: number;
}

/**
 * The status Traefik's RateLimit middleware refuses with (429 Too Many Requests). ingress-nginx uses its
 * limit-req-status-code instead, 503 by default; here a 503 is an answer from behind the limiter (the backend).
 */
export const TRAEFIK_LIMIT_STATUS = 429;

function tally(results: Array<EdgeResponse | Error>, ms: number, limitStatus: number, offeredMs = ms): RateSample {
  const statuses: Record<string, number> = {};
  let admitted = 0;
  let rejected = 0;
  let errors = 0;
  for (const r of results) {
    if (r instanceof Error) { errors++; statuses.error = (statuses.error ?? 0) + 1; continue; }
    statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
    if (r.status === limitStatus) rejected++;
    else admitted++;
  }
  return { sent: results.length, admitted, rejected, errors, statuses, ms: Math.round(ms), offeredMs: Math.round(offeredMs) };
}

/** `count` requests as fast as `concurrency` connections allow (one client address: this host). */
export async function burst(send: () => Promise<EdgeResponse>, options: { count: number; concurrency: number; limitStatus?: number }): Promise<RateSample> {
  const results: Array<EdgeResponse | Error> = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (next < options.count) {
      next++;
      results.push(await send().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
    }
  }));
  return tally(results, performance.now() - started, options.limitStatus ?? TRAEFIK_LIMIT_STATUS);
}

/** `rate` requests per second for `seconds`, each sent on its schedule (not waiting for earlier answers). */
export async function steady(send: () => Promise<EdgeResponse>, options: { rate: number; seconds: number; limitStatus?: number }): Promise<RateSample> {
  const total = Math.round(options.rate * options.seconds);
  const started = performance.now();
  const pending: Array<Promise<EdgeResponse | Error>> = [];
  let lastSent = started;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastSent = performance.now();
    pending.push(send().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
  }
  const results = await Promise.all(pending);
  return tally(results, performance.now() - started, options.limitStatus ?? TRAEFIK_LIMIT_STATUS, lastSent - started + 1000 / options.rate);
}
