/**
 * A host port another process holds, as the container engine words it on create/start (the message varies
 * with the engine and its proxy): "Bind for 127.0.0.1:P failed: port is already allocated" (the engine's own
 * allocator) or "listen tcp4 127.0.0.1:P: bind: address already in use" (the userland proxy).
 */
export function isBindError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /port is already allocated|address already in use|bind for .* failed/i.test(message);
}
