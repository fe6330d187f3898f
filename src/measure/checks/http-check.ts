import type { ProbeCheck } from '../availability-probe.ts';

export interface HttpCheckOptions {
  /** Accepted status: a code, a list, or a predicate. Default 200. */
  expectStatus?: number | readonly number[] | ((status: number) => boolean);
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
}

/**
 * HTTP GET (fetch, abandoned through the probe's AbortSignal timeout); ok when the status is the
 * expected one. Redirects are not followed: a 3xx is an answer of its own. The body is read to the end so
 * the connection can be reused, as a browser or a load balancer health check would.
 */
export function httpCheck(url: string, options: HttpCheckOptions = {}): ProbeCheck {
  const expected = options.expectStatus ?? 200;
  const accept =
    typeof expected === 'function' ? expected : typeof expected === 'number' ? (s: number) => s === expected : (s: number) => expected.includes(s);
  const method = options.method ?? 'GET';
  return {
    kind: 'http',
    target: `${method} ${withoutCredentials(url)}`,
    async run(signal) {
      const response = await fetch(url, { method, signal, redirect: 'manual', ...(options.headers ? { headers: options.headers } : {}) });
      await response.arrayBuffer();
      if (!accept(response.status)) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    },
  };
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
