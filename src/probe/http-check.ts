import type { ProbeCheck } from './check.ts';
import { redactUrl } from './redact-url.ts';

export interface HttpCheckOptions {
  /** Accepted status: a code, a list, or a predicate. Default 200. */
  expectStatus?: number | readonly number[] | ((status: number) => boolean);
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** The body expected, to the letter (default: any body). */
  expectBody?: string;
}

/**
 * HTTP GET (fetch, abandoned through the probe's AbortSignal timeout); ok when the status is the
 * expected one. Redirects are not followed: a 3xx is an answer of its own. The body is read to the end so
 * the connection can be reused, as a browser or a load balancer health check would; with `expectBody`,
 * it must also be that text.
 */
export function httpCheck(url: string, options: HttpCheckOptions = {}): ProbeCheck {
  const expected = options.expectStatus ?? 200;
  const accept =
    typeof expected === 'function' ? expected : typeof expected === 'number' ? (s: number) => s === expected : (s: number) => expected.includes(s);
  const method = options.method ?? 'GET';
  return {
    kind: 'http',
    target: `${method} ${redactUrl(url, url)}`,
    async run(signal) {
      const response = await fetch(url, { method, signal, redirect: 'manual', ...(options.headers ? { headers: options.headers } : {}) });
      const body = options.expectBody === undefined ? (await response.arrayBuffer(), undefined) : await response.text();
      if (!accept(response.status)) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      if (body !== options.expectBody) throw new Error(`HTTP ${response.status} with another body: ${JSON.stringify(body?.slice(0, 80))}`);
    },
  };
}

