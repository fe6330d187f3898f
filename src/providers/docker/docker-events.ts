import type Docker from 'dockerode';
import type { TimelineEvent } from '../../measure/timeline.ts';
import { LABELS } from './environment-containers.ts';

/**
 * Provider timeline events for the docker provider: the engine's own `docker events` stream for this
 * environment's containers (label `io.prodlike.env=<name>`), turned into timeline entries — what the
 * Kubernetes watch is to the kind provider. Times are the engine's (`timeNano`), on the host clock.
 */

/** The container actions a scenario's timeline cares about (the filter sent to the engine). */
export const CONTAINER_ACTIONS = ['die', 'kill', 'oom', 'start', 'stop', 'restart', 'pause', 'unpause', 'health_status', 'destroy'] as const;

/** One message of the engine's event stream (the fields used here; see the Engine API `/events`). */
export interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** The subject of a container event: `<role>-<replica>` for environment services, else the container name. */
export function subjectOf(attributes: Record<string, string>): string {
  const role = attributes[LABELS.role];
  const replica = attributes[LABELS.replica];
  if (role && role !== 'job' && replica !== undefined) return `${role}-${replica}`;
  return attributes.name ?? role ?? 'container';
}

/**
 * Maps one engine event to a timeline entry, or undefined for events a timeline does not show. Pure.
 *   die → container.died (exit code, and "OOM" when the engine says so); start → container.started;
 *   health_status: healthy → container.ready; unhealthy → note; kill → note (signal); oom → note;
 *   pause/unpause → container.paused/unpaused; stop/restart/destroy → note.
 */
export function timelineEventOf(message: DockerEventMessage): TimelineEvent | undefined {
  if ((message.Type ?? 'container') !== 'container') return undefined;
  const action = (message.Action ?? message.status ?? '').trim();
  const attributes = message.Actor?.Attributes ?? {};
  const at = message.timeNano !== undefined ? Math.round(message.timeNano / 1e6) : (message.time ?? 0) * 1000;
  if (!at || !action) return undefined;
  const subject = subjectOf(attributes);
  const base = { at, source: 'provider' as const, subject };
  if (action.startsWith('health_status')) {
    const status = action.split(':')[1]?.trim() ?? '';
    if (status === 'healthy') return { ...base, type: 'container.ready', detail: 'docker health check: healthy' };
    return { ...base, type: 'note', detail: `docker health check: ${status || 'unknown'}` };
  }
  switch (action) {
    case 'die': {
      const exit = attributes.exitCode;
      const oom = attributes.oomKilled === 'true' ? ', OOM killed' : '';
      return { ...base, type: 'container.died', detail: `exit code ${exit ?? '?'}${oom}`, ...(exit !== undefined && Number.isFinite(Number(exit)) ? { value: Number(exit) } : {}) };
    }
    case 'start':
      return { ...base, type: 'container.started', detail: 'container started' };
    case 'kill':
      return { ...base, type: 'note', detail: `kill signal ${attributes.signal ?? '?'} (engine API)` };
    case 'oom':
      return { ...base, type: 'note', detail: 'out of memory (OOM killer)' };
    case 'pause':
      return { ...base, type: 'container.paused' };
    case 'unpause':
      return { ...base, type: 'container.unpaused' };
    case 'stop':
    case 'restart':
    case 'destroy':
      return { ...base, type: 'note', detail: `container ${action}` };
    default:
      return undefined;
  }
}

/**
 * Splits a chunked JSON-lines stream into messages. The engine writes one JSON object per line, but a
 * chunk may end mid-line: the remainder is kept for the next chunk. Unparseable lines are skipped.
 */
export class EventLineParser {
  #rest = '';

  push(chunk: Buffer | string): DockerEventMessage[] {
    const text = this.#rest + chunk.toString();
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    const out: DockerEventMessage[] = [];
    for (const line of lines) {
      const trimmed = line.trim();
      if (!trimmed) continue;
      try {
        out.push(JSON.parse(trimmed) as DockerEventMessage);
      } catch {
        // A malformed line is not an event; the stream goes on.
      }
    }
    return out;
  }
}

export interface DockerEventRecorder {
  /** Events seen so far (sorted by time). */
  readonly events: readonly TimelineEvent[];
  /** Stops the stream; returns everything recorded. */
  stop(): Promise<TimelineEvent[]>;
}

/**
 * Follows the engine's event stream for one environment's containers from now on, until `stop()`.
 * Add the result to a scenario timeline: `timeline.merge(await recorder.stop())`.
 */
export async function recordDockerEvents(docker: Docker, env: string, options: { since?: number; onEvent?: (e: TimelineEvent) => void } = {}): Promise<DockerEventRecorder> {
  const since = Math.floor((options.since ?? Date.now()) / 1000);
  const stream = (await docker.getEvents({
    since,
    filters: { type: ['container'], label: [`${LABELS.env}=${env}`], event: [...CONTAINER_ACTIONS] },
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  const parser = new EventLineParser();
  const events: TimelineEvent[] = [];
  const floor = options.since ?? 0;
  stream.on('data', (chunk: Buffer) => {
    for (const message of parser.push(chunk)) {
      const event = timelineEventOf(message);
      // `since` has whole-second resolution: drop what happened before the exact start.
      if (!event || event.at < floor) continue;
      events.push(event);
      options.onEvent?.(event);
    }
  });
  stream.on('error', () => undefined);
  const sorted = () => [...events].sort((a, b) => a.at - b.at);
  return {
    get events() {
      return sorted();
    },
    async stop() {
      // Let events that already happened arrive (the engine publishes them asynchronously).
      await new Promise((r) => setTimeout(r, 200));
      stream.removeAllListeners('data');
      stream.destroy?.();
      return sorted();
    },
  };
}
