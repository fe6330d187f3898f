/** Ingresses: the retired ingress-nginx controller, and `nginx.ingress.kubernetes.io/*` annotations it does not know. */
import { obj } from '../components.ts';
import type { CheckContext, Rule } from '../finding.ts';
import type { Ingress } from '../model-types.ts';

const PREFIX = 'nginx.ingress.kubernetes.io/';

/**
 * The Ingress annotations ingress-nginx reads (its user guide, nginx-configuration/annotations.md, the last
 * release's): anything else under the prefix is ignored by the controller without an error.
 */
export const INGRESS_NGINX_ANNOTATIONS: ReadonlySet<string> = new Set([
  'app-root', 'affinity', 'affinity-mode', 'affinity-canary-behavior', 'auth-realm', 'auth-secret', 'auth-secret-type', 'auth-type',
  'auth-tls-secret', 'auth-tls-verify-depth', 'auth-tls-verify-client', 'auth-tls-error-page', 'auth-tls-pass-certificate-to-upstream', 'auth-tls-match-cn',
  'auth-url', 'auth-method', 'auth-signin', 'auth-signin-redirect-param', 'auth-response-headers', 'auth-proxy-set-headers', 'auth-request-redirect',
  'auth-cache-key', 'auth-cache-duration', 'auth-keepalive', 'auth-keepalive-requests', 'auth-keepalive-timeout', 'auth-keepalive-share-vars', 'auth-snippet', 'enable-global-auth',
  'backend-protocol', 'canary', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total',
  'client-body-buffer-size', 'configuration-snippet', 'custom-headers', 'custom-http-errors', 'default-backend', 'denylist-source-range', 'allowlist-source-range', 'whitelist-source-range',
  'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age',
  'force-ssl-redirect', 'ssl-redirect', 'preserve-trailing-slash', 'from-to-www-redirect', 'http2-push-preload',
  'limit-connections', 'limit-rps', 'limit-rpm', 'limit-burst-multiplier', 'limit-rate', 'limit-rate-after', 'limit-whitelist', 'limit-allowlist',
  'global-rate-limit', 'global-rate-limit-window', 'global-rate-limit-key', 'global-rate-limit-ignored-cidrs',
  'permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code',
  'proxy-body-size', 'proxy-cookie-domain', 'proxy-cookie-path', 'proxy-connect-timeout', 'proxy-send-timeout', 'proxy-read-timeout',
  'proxy-next-upstream', 'proxy-next-upstream-timeout', 'proxy-next-upstream-tries', 'proxy-request-buffering', 'proxy-redirect-from', 'proxy-redirect-to',
  'proxy-http-version', 'proxy-ssl-secret', 'proxy-ssl-ciphers', 'proxy-ssl-name', 'proxy-ssl-protocols', 'proxy-ssl-verify', 'proxy-ssl-verify-depth', 'proxy-ssl-server-name',
  'proxy-buffering', 'proxy-buffers-number', 'proxy-buffer-size', 'proxy-max-temp-file-size',
  'enable-rewrite-log', 'rewrite-target', 'satisfy', 'server-alias', 'server-snippet', 'service-upstream', 'session-cookie-name', 'session-cookie-path',
  'session-cookie-domain', 'session-cookie-change-on-failure', 'session-cookie-samesite', 'session-cookie-conditional-samesite-none', 'session-cookie-expires',
  'session-cookie-max-age', 'session-cookie-secure', 'ssl-passthrough', 'stream-snippet', 'upstream-hash-by', 'upstream-hash-by-subset', 'upstream-hash-by-subset-size',
  'x-forwarded-prefix', 'load-balance', 'upstream-vhost', 'ssl-ciphers', 'ssl-prefer-server-ciphers', 'connection-proxy-header', 'enable-access-log',
  'enable-opentracing', 'opentracing-trust-incoming-span', 'enable-opentelemetry', 'opentelemetry-trust-incoming-span', 'enable-influxdb', 'influxdb-measurement',
  'influxdb-port', 'influxdb-host', 'influxdb-server-name', 'use-regex', 'enable-modsecurity', 'enable-owasp-core-rules', 'modsecurity-transaction-id',
  'modsecurity-snippet', 'mirror-request-body', 'mirror-target', 'mirror-host',
]);

/** Keys of ingress-nginx's ConfigMap often written as annotations by mistake: the ConfigMap key, and its default. */
const CONFIGMAP_KEYS: Readonly<Record<string, string>> = {
  'ssl-protocols': 'its default is "TLSv1.2 TLSv1.3"',
  'limit-req-status-code': 'its default is 503',
  'use-forwarded-headers': 'its default is "false"',
  'hsts': 'its default is "true"',
};

/** What an unknown annotation probably meant. */
const MEANT: Readonly<Record<string, string>> = {
  'rate-limit': 'limit-rps, limit-rpm or limit-connections (the per-IP limits) or global-rate-limit with global-rate-limit-window',
};

/** The Ingresses ingress-nginx would serve: class nginx by spec.ingressClassName or the legacy kubernetes.io/ingress.class annotation. */
export function nginxClassIngresses(ctx: CheckContext): Ingress[] {
  return ctx.manifests.ingresses.filter((i) => i.ingressClassName === 'nginx' || i.annotations['kubernetes.io/ingress.class'] === 'nginx');
}

export const ingressNginxRetiredRule: Rule = {
  id: 'ingress-controller-nginx-retired',
  title: 'The ingress-nginx controller is retired',
  severity: 'warning',
  description: 'Kubernetes SIG Network retired ingress-nginx in March 2026: no releases, bug fixes or security fixes, on the component '
    + 'that faces the internet. The Ingress objects keep working with a controller that serves class nginx (prodlike uses Traefik\'s '
    + 'Kubernetes Ingress NGINX provider on kind).',
  run(ctx) {
    const ingresses = nginxClassIngresses(ctx);
    if (ingresses.length === 0) return [];
    return [{
      ruleId: this.id,
      severity: 'warning',
      message: `${ingresses.map((i) => `Ingress ${i.namespace}/${i.name}`).join(', ')} ${ingresses.length === 1 ? 'uses' : 'use'} ingressClassName nginx, served by ingress-nginx as `
        + 'document 001 §1 Ingress Controller says ("Technology: NGINX Ingress Controller", Service ingress-nginx-controller). ingress-nginx was retired by '
        + 'Kubernetes SIG Network in March 2026: no further releases or security fixes for the internet-facing proxy.',
      hint: 'Plan the move to a maintained controller: Traefik v3 (its Kubernetes Ingress NGINX provider serves these Ingresses and translates most '
        + 'nginx.ingress.kubernetes.io annotations unchanged; prodlike runs it on kind), or the Gateway API (e.g. Envoy Gateway, NGINX Gateway Fabric).',
      objects: ingresses.map((i) => obj(ctx, i)),
      targets: [],
      details: { ingressClass: 'nginx', documented: 'doc 001 §1 Ingress Controller', retired: '2026-03', alternatives: ['Traefik (Kubernetes Ingress NGINX provider)', 'Gateway API'] },
    }];
  },
};

export const ingressAnnotationUnknownRule: Rule = {
  id: 'ingress-annotation-ineffective',
  title: 'Ingress annotation ingress-nginx does not read',
  severity: 'warning',
  description: 'An nginx.ingress.kubernetes.io/* annotation that is not one of ingress-nginx\'s Ingress annotations is ignored without an error: '
    + 'the setting it seems to make (a rate limit, a TLS protocol list) is not in force.',
  run(ctx) {
    return nginxClassIngresses(ctx).flatMap((ing) => Object.entries(ing.annotations)
      .filter(([key]) => key.startsWith(PREFIX) && !INGRESS_NGINX_ANNOTATIONS.has(key.slice(PREFIX.length)))
      .map(([key, value]) => {
        const name = key.slice(PREFIX.length);
        const configMap = CONFIGMAP_KEYS[name];
        const why = configMap
          ? `"${name}" is a key of the controller's ConfigMap, not an Ingress annotation (${configMap}): set on the Ingress it does nothing`
          : `"${name}" is not an ingress-nginx annotation${MEANT[name] ? `; the real ones are ${MEANT[name]}` : ''}: the controller ignores it`;
        return {
          ruleId: this.id,
          severity: 'warning' as const,
          message: `Ingress ${ing.namespace}/${ing.name}: ${key}: "${value}" — ${why}.`,
          hint: configMap
            ? `Set ${name} in the ingress-nginx ConfigMap (controller-wide), or drop the annotation if the default is what is meant.`
            : `Remove it, or replace it with ${MEANT[name] ?? 'the annotation that does what it means'} (and measure it on kind: \`npx prodlike run ingress\`).`,
          objects: [obj(ctx, ing)],
          targets: [],
          details: { annotation: key, value, kind: configMap ? 'configmap-key' : 'unknown' },
        };
      }));
  },
};
