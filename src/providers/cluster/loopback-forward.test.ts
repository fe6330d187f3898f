import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PodObject } from '../../kube/objects.ts';
import { LoopbackForward, type ForwardFn } from './loopback-forward.ts';

const pod = (name: string, ready: boolean, deleting = false): PodObject => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: '2026-12-04T00:00:00Z' } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

/** A forward that answers every connection with the pod's name, then closes. */
const echoForward = (calls: string[]): ForwardFn => async (namespace, name, port, socket: Socket) => {
  calls.push(`${namespace}/${name}:${port}`);
  const stream = new EventEmitter() as EventEmitter & { close(): void };
  stream.close = () => stream.emit('close');
  socket.end(name);
  return stream;
};

const read = (port: number) => new Promise<string>((resolve, reject) => {
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => { data += d.toString(); });
  s.on('close', () => resolve(data));
  s.on('error', reject);
});

let forward: LoopbackForward | undefined;
afterEach(async () => forward?.stop());

describe('LoopbackForward (host access on an existing cluster)', () => {
  it('forwards each connection to a Ready pod, round-robin, never to one being deleted or not Ready', async () => {
    const calls: string[] = [];
    const pods = [pod('b', true), pod('a', true), pod('c', false), pod('d', true, true)];
    forward = new LoopbackForward(undefined, { namespace: 'pl-x-data', selector: { app: 'pg' }, port: 5432 }, 0, { refreshMs: 0, forward: echoForward(calls), listPods: async () => pods });
    await forward.start();
    const port = forward.boundPort();
    expect([await read(port), await read(port), await read(port)]).toEqual(['a', 'b', 'a']);
    expect(calls).toEqual(['pl-x-data/a:5432', 'pl-x-data/b:5432', 'pl-x-data/a:5432']);
    // The next connection sees the pod list as it is then: a killed pod is no longer chosen.
    pods.splice(0, 2, pod('b', true, true), pod('a2', true));
    expect(await read(port)).toBe('a2');
  });

  it('resets the connection when no pod is Ready (a dead endpoint), and listens on 127.0.0.1 only', async () => {
    forward = new LoopbackForward(undefined, { namespace: 'n', selector: { app: 'x' }, port: 80 }, 0, { forward: echoForward([]), listPods: async () => [pod('a', false)] });
    await forward.start();
    expect(await read(forward.boundPort())).toBe('');
    expect(forward.address()).toBe('127.0.0.1');
  });
});
