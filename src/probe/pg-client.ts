import pg from 'pg';

/** A connected client, or the connect error (the half-open client destroyed). */
export async function openClient(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on('error', () => undefined); // surfaces through the pending query; an idle drop must not crash the process
  try {
    await client.connect();
    return client;
  } catch (error) {
    destroyClient(client);
    throw error;
  }
}

/** Closes at once: the socket is destroyed, as `end()` alone would wait for a server that hangs. */
export function destroyClient(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  client.end().catch(() => undefined);
}

/** `postgres://user@host:port/db` without the password. */
export function describePgConfig(config: pg.ClientConfig): string {
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      return `postgres://${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
    } catch {
      return 'postgres (connection string)';
    }
  }
  return `postgres://${config.user ? `${config.user}@` : ''}${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}
