import { createServer, type Server, type Socket } from 'node:net';
import { CoreV1Api, PortForward, type KubeConfig } from '@kubernetes/client-node';
import { ProdlikeError } from '../../core/errors.ts';
import type { PodObject } from '../../kube/objects.ts';
import { selectorOf } from '../kind/kind-workloads.ts';

/**
 * Host access to a workload on an existing cluster, where prodlike publishes no NodePort (kind maps them to
 * 127.0.0.1): a listener on 127.0.0.1:<port>, and for every connection a port-forward through the API server
 * to a pod of the workload that is Ready now (not being deleted), chosen round-robin. One forward per
 * connection, so a killed pod breaks only the connections that were on it: the next connection goes to a
 * pod that is Ready then, the way a Service's endpoints follow readiness. The pod list is read at most every
 * `refreshMs` (default 200 ms; one in-process API call, no kubectl process) and shared by the connections of that window.
 *
 * What a client-observed outage measured through it includes: the pod's replacement and readiness (as through
 * a Service), up to `refreshMs` of a stale pod list, and the API server's port-forward set-up per connection
 * (one WebSocket upgrade, tens of ms); not kube-proxy or a load balancer.
 */
export interface ForwardTarget {
  namespace: string;
  selector: Record<string, string>;
  port: number;
}

/** One forwarded connection: bytes of `socket` to the pod's port and back; closed with the socket. */
export interface ForwardedStream {
  close(): void;
  once(event: 'close' | 'error', listener: () => void): unknown;
}
export type ForwardFn = (namespace: string, pod: string, port: number, socket: Socket) => Promise<ForwardedStream>;

/** A port-forward through the API server (@kubernetes/client-node's PortForward: one WebSocket per connection). */
export function apiServerForward(kubeConfig: KubeConfig): ForwardFn {
  const forward = new PortForward(kubeConfig, true);
  return async (namespace, pod, port, socket) => {
    const ws = await forward.portForward(namespace, pod, [port], socket, null, socket);
    const stream = typeof ws === 'function' ? ws() : ws;
    if (!stream) throw new Error(`port-forward to ${namespace}/${pod}:${port} did not open`);
    // terminate, not close: a closing handshake through a busy API server kept the pod-side connection open
    // for seconds, and a probe opening 10 connections/s exhausted PostgreSQL's max_connections (53300).
    return { close: () => stream.terminate(), once: (event, listener) => stream.once(event, listener) };
  };
}

/** The target's pods as the API server lists them now. */
export type PodLister = () => Promise<PodObject[]>;

/** One in-process API call (no kubectl process per connection). */
export function apiServerPods(kubeConfig: KubeConfig, target: ForwardTarget): PodLister {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return async () => (await api.listNamespacedPod({ namespace: target.namespace, labelSelector: selectorOf(target.selector), timeoutSeconds: 10 })).items as unknown as PodObject[];
}

export const isReadyPod = (p: PodObject): boolean => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export class LoopbackForward {
  readonly #listPods: PodLister;
  readonly #target: ForwardTarget;
  readonly #listenPort: number;
  readonly #refreshMs: number;
  readonly #forward: ForwardFn;
  #server: Server | undefined;
  #pods: { at: number; names: Promise<string[]> } | undefined;
  #next = 0;
  readonly #sockets = new Set<Socket>();

  constructor(kubeConfig: KubeConfig | undefined, target: ForwardTarget, listenPort: number, options: { refreshMs?: number; forward?: ForwardFn; listPods?: PodLister } = {}) {
    this.#listPods = options.listPods ?? apiServerPods(kubeConfig!, target);
    this.#target = target;
    this.#listenPort = listenPort;
    this.#refreshMs = options.refreshMs ?? 200;
    this.#forward = options.forward ?? apiServerForward(kubeConfig!);
  }

  get port(): number {
    return this.#listenPort;
  }

  /** The port actually bound (differs from `port` when it was 0: tests). */
  boundPort(): number {
    const a = this.#server?.address();
    return typeof a === 'object' && a ? a.port : this.#listenPort;
  }

  address(): string | undefined {
    const a = this.#server?.address();
    return typeof a === 'object' && a ? a.address : undefined;
  }

  /** Listens on 127.0.0.1 only; does not keep the process alive. PORT_IN_USE when the port is taken. */
  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((socket) => this.#connect(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
        ? new ProdlikeError('PORT_IN_USE', `127.0.0.1:${this.#listenPort} is in use: cannot forward ${this.#target.namespace}/${selectorOf(this.#target.selector)} there.`, { hint: 'Pick another ports.entry for this environment.' })
        : error));
      server.listen(this.#listenPort, '127.0.0.1', () => resolve());
    });
    server.unref();
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #readyPods(): Promise<string[]> {
    const now = Date.now();
    if (!this.#pods || now - this.#pods.at > this.#refreshMs) {
      const names = this.#listPods().then((pods) => pods.filter(isReadyPod).map((p) => p.metadata.name).sort());
      names.catch(() => undefined);
      this.#pods = { at: now, names };
    }
    return this.#pods.names;
  }

  #connect(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void (async () => {
      const pods = await this.#readyPods();
      if (!pods.length) throw new Error('no ready pod');
      const pod = pods[this.#next++ % pods.length]!;
      const stream = await this.#forward(this.#target.namespace, pod, this.#target.port, socket);
      socket.once('close', () => stream.close());
      stream.once('close', () => socket.end());
      stream.once('error', () => socket.destroy());
    })().catch(() => {
      // No ready pod, or the API server refused the forward: the client sees a reset, as from a dead endpoint.
      this.#pods = undefined;
      socket.destroy();
    });
  }
}
