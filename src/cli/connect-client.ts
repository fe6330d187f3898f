import { redactUrl } from '../probe/redact-url.ts';
import type { EnvironmentSecrets } from '../providers/docker/topology.ts';
import type { Endpoint } from '../providers/provider.ts';

export const CONNECT_SERVICES = ['postgres', 'redis', 'minio'] as const;
export type ConnectService = (typeof CONNECT_SERVICES)[number];

/** The `mc` alias prodlike's MC_HOST_<alias> defines. */
export const MC_ALIAS = 'prodlike';

/** A client for one of the environment's data services: its command (never a secret in argv) and its environment. */
export interface ConnectClient {
  service: ConnectService;
  file: string;
  args: string[];
  /** Credentials and settings the client reads from its environment (PGPASSWORD, REDISCLI_AUTH, MC_HOST_<alias>). */
  env: Record<string, string>;
  /** What `--print` shows: a connection URL and `export` lines, secrets as `***` unless `showSecrets`. */
  print(showSecrets: boolean): { lines: string[]; url: string; env: Record<string, string> };
  /** Where the client comes from, and the `--print` alternative, when it is not installed. */
  missingHint: string;
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
const exportLine = (env: Record<string, string>) => `export ${Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ')}`;
const printHint = (service: ConnectService) => `\`prodlike connect ${service} --print\` prints the connection string and environment instead.`;

/**
 * The client for `service` on `endpoint` (127.0.0.1) with the environment's credentials: psql, redis-cli, or
 * the MinIO client (`mc`, default `ls <alias>/<bucket>`); `extraArgs` (after `--`) go to the client.
 */
export function connectClient(service: ConnectService, endpoint: Endpoint, secrets: EnvironmentSecrets, options: { bucket: string; database: { name: string; user: string }; extraArgs?: string[]; mc?: string }): ConnectClient {
  const extra = options.extraArgs ?? [];
  const hide = (show: boolean) => (value: string) => (show ? value : '***');
  const at = `${endpoint.host}:${endpoint.port}`;
  if (service === 'postgres') {
    const DATABASE = options.database;
    const url = `postgresql://${DATABASE.user}:${encodeURIComponent(secrets.postgresPassword)}@${at}/${DATABASE.name}`;
    const settings = { PGHOST: endpoint.host, PGPORT: String(endpoint.port), PGUSER: DATABASE.user, PGDATABASE: DATABASE.name };
    return {
      service, file: 'psql', args: ['-h', endpoint.host, '-p', String(endpoint.port), '-U', DATABASE.user, '-d', DATABASE.name, ...extra],
      env: { PGPASSWORD: secrets.postgresPassword },
      print: (show) => {
        const env = { ...settings, PGPASSWORD: hide(show)(secrets.postgresPassword) };
        const shown = show ? url : redactUrl(url);
        return { url: shown, env, lines: [`DATABASE_URL=${quote(shown)}`, exportLine(env), '# then: psql'] };
      },
      missingHint: `psql is in the Debian/Ubuntu package postgresql-client (\`sudo apt-get install -y postgresql-client\`). ${printHint(service)}`,
    };
  }
  if (service === 'redis') {
    const url = `redis://:${encodeURIComponent(secrets.redisPassword)}@${at}`;
    return {
      service, file: 'redis-cli', args: ['-h', endpoint.host, '-p', String(endpoint.port), ...extra],
      env: { REDISCLI_AUTH: secrets.redisPassword },
      print: (show) => {
        const env = { REDISCLI_AUTH: hide(show)(secrets.redisPassword) };
        const shown = show ? url : redactUrl(url);
        return { url: shown, env, lines: [`REDIS_URL=${quote(shown)}`, exportLine(env), `# then: redis-cli -h ${endpoint.host} -p ${endpoint.port}`] };
      },
      missingHint: `redis-cli is in the Debian/Ubuntu package redis-tools (\`sudo apt-get install -y redis-tools\`). ${printHint(service)}`,
    };
  }
  const mcHost = (show: boolean) => `http://${hide(show)(secrets.minioAccessKey)}:${hide(show)(secrets.minioSecretKey)}@${at}`;
  return {
    service, file: options.mc ?? 'mc', args: extra.length ? extra : ['ls', `${MC_ALIAS}/${options.bucket}`],
    env: { [`MC_HOST_${MC_ALIAS}`]: mcHost(true) },
    print: (show) => {
      const env = { [`MC_HOST_${MC_ALIAS}`]: mcHost(show), AWS_ACCESS_KEY_ID: hide(show)(secrets.minioAccessKey), AWS_SECRET_ACCESS_KEY: hide(show)(secrets.minioSecretKey) };
      const url = `http://${at}`;
      return { url, env, lines: [`S3_ENDPOINT=${quote(url)}`, exportLine(env), `# then: mc ls ${MC_ALIAS}/${options.bucket}`] };
    },
    missingHint: `The MinIO client (mc) goes in ~/.cache/prodlike/bin/mc or on PATH (https://dl.min.io/client/mc/release/linux-amd64/mc; Debian's "mc" package is Midnight Commander, not this). ${printHint(service)}`,
  };
}

/**
 * Without MinIO's mc on this host: the mc the environment's own MinIO image ships, run by the engine with the
 * host's network (the endpoint is on 127.0.0.1) and removed at exit. The alias's credentials reach it as
 * `-e MC_HOST_<alias>` without a value: docker copies it from this process's environment, never from argv.
 */
export function mcInImage(client: ConnectClient, image: string): ConnectClient {
  const tty = process.stdin.isTTY && process.stdout.isTTY;
  return { ...client, file: 'docker', args: ['run', '--rm', '-i', ...(tty ? ['-t'] : []), '--network', 'host', '-e', `MC_HOST_${MC_ALIAS}`, '--entrypoint', 'mc', image, ...client.args] };
}
