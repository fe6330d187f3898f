import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { EventBus, TimedEvent } from '../core/events.ts';
import { redact } from './redact.ts';

/**
 * `journal.ndjson`: every TimedEvent of the run, one JSON object per line, appended synchronously as it
 * arrives (an interrupted run keeps everything up to the interruption, in order). Secrets are redacted
 * line by line.
 */
export class JournalWriter {
  readonly path: string;
  readonly #secrets: readonly string[];
  #fd: number | undefined;
  #lines = 0;

  constructor(path: string, options: { secrets?: readonly string[] } = {}) {
    this.path = path;
    this.#secrets = options.secrets ?? [];
    this.#fd = openSync(path, 'a');
  }

  get lines(): number {
    return this.#lines;
  }

  write(event: TimedEvent | (Record<string, unknown> & { kind: string; at: number })): void {
    if (this.#fd === undefined) return;
    writeSync(this.#fd, `${redact(JSON.stringify(event), this.#secrets)}\n`);
    this.#lines += 1;
  }

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach(bus: EventBus): () => void {
    return bus.on((event) => this.write(event));
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Reads a journal back; a torn last line (interrupted write) is ignored. */
export function readJournal(path: string): TimedEvent[] {
  if (!existsSync(path)) return [];
  const events: TimedEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as TimedEvent);
    } catch {
      // torn line
    }
  }
  return events;
}
