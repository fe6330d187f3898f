import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { lineWriter } from '../../core/line-writer.ts';
import type { LogLine, LogOptions } from '../provider.ts';
import { demux } from './environment-containers.ts';

/** A container whose log is read: its id and the name its lines carry. */
export interface LogSource {
  id: string;
  name: string;
}

/**
 * The logs of `sources` (stdout and stderr), line by line to `onLine`, each line with its container's name:
 * the last `tail` lines of each (default all), only those of the last `sinceSeconds`; with `follow`, new
 * lines as they are written, until `signal` aborts (then it resolves) or the containers are gone.
 */
export async function readContainerLogs(docker: Docker, sources: readonly LogSource[], onLine: (line: LogLine) => void, options: Omit<LogOptions, 'onLine' | 'replica'> = {}): Promise<void> {
  const { signal } = options;
  const since = options.sinceSeconds === undefined ? {} : { since: Math.floor(Date.now() / 1000) - options.sinceSeconds };
  const common = { stdout: true, stderr: true, ...(options.tail === undefined ? {} : { tail: options.tail }), ...since };
  await Promise.all(sources.map(async (source) => {
    const emit = (text: string) => onLine({ source: source.name, text });
    const container = docker.getContainer(source.id);
    if (!options.follow) {
      const lines = demux(await container.logs({ ...common, follow: false })).split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) emit(line);
      return;
    }
    if (signal?.aborted) return;
    const tty = (await container.inspect()).Config.Tty;
    const stream = await container.logs({ ...common, follow: true, ...(signal ? { abortSignal: signal } : {}) }).catch((error: unknown) => {
      if (signal?.aborted) return undefined;
      throw error;
    });
    if (stream) await follow(docker, stream as Readable, tty, emit, signal);
  }));
}

/** Reads one followed log stream (multiplexed unless the container has a TTY) until it ends or `signal` aborts. */
async function follow(docker: Docker, stream: Readable, tty: boolean, emit: (text: string) => void, signal: AbortSignal | undefined): Promise<void> {
  const out = lineWriter(emit);
  const err = lineWriter(emit);
  await new Promise<void>((resolve) => {
    const stop = () => stream.destroy();
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      signal?.removeEventListener('abort', stop);
      // The last line without a newline is delivered before this resolves.
      void Promise.all([out, err].map((w) => new Promise((flushed) => w.end(flushed)))).then(() => resolve());
    };
    stream.once('end', done).once('close', done).once('error', done);
    signal?.addEventListener('abort', stop, { once: true });
    if (tty) stream.pipe(out, { end: false });
    else (docker.modem as { demuxStream: (s: Readable, o: NodeJS.WritableStream, e: NodeJS.WritableStream) => void }).demuxStream(stream, out, err);
  });
}
