/**
 * How prodlike runs testcontainers (smoke checks, the reference app's integration tests):
 *
 * - The reaper (Ryuk) is an image that cannot be pulled without a registry, so it is off unless the
 *   caller decided otherwise; everything prodlike starts carries io.prodlike.* labels and is removed
 *   by its owner (or by `prodlike gc`).
 * - Published ports bind 127.0.0.1 only. testcontainers resolves the host it connects to as the
 *   bridge gateway (172.17.0.1) when it sees /.dockerenv — as on CI machines that are containers
 *   themselves — and a port bound to loopback is not reachable there. With a local engine (unix
 *   socket) the host is therefore pinned to 127.0.0.1 unless TESTCONTAINERS_HOST_OVERRIDE is set.
 *
 * testcontainers reads both variables when it creates its client (the first container start), so
 * call this before starting anything.
 */
export function configureTestcontainers(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  if (engineIsLocal(env)) env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

/** True when the engine is reached through a local socket (a remote DOCKER_HOST keeps testcontainers' defaults). */
export function engineIsLocal(env: NodeJS.ProcessEnv = process.env): boolean {
  const host = env.DOCKER_HOST;
  return !host || host.startsWith('unix://') || host.startsWith('npipe://');
}
