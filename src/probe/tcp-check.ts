import { connect } from 'node:net';
import type { ProbeCheck } from './check.ts';

/** TCP connect: ok when `host:port` accepts a connection, which is closed at once. */
export function tcpCheck(host: string, port: number): ProbeCheck {
  return {
    kind: 'tcp',
    target: `TCP ${host}:${port}`,
    run: (signal) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port });
        const done = (error?: Error) => {
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          if (error) reject(error);
          else resolve();
        };
        const onAbort = () => done(new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => done());
        socket.once('error', (error) => done(error));
      }),
  };
}
