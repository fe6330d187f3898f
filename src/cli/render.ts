import { formatDuration } from '../core/duration.ts';
import type { StepStatus, TimedEvent } from '../core/events.ts';
import type { ClusterStatus } from '../providers/provider.ts';
import { table, truncate } from '../core/text-table.ts';

const SYMBOL: Record<StepStatus, string> = { ok: '✔', cached: '●', skipped: '○', failed: '✖', warn: '⚠' };
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface StepRow {
  id: string;
  title: string;
  status: StepStatus | 'running';
  durationMs: number;
  detail: string;
}

/**
 * Renders library events on a terminal: a live line with a spinner and elapsed time for the running
 * step (TTY), or plain start/progress/end lines (CI logs, pipes). Collects rows for the summary table.
 */
export class ProgressRenderer {
  readonly rows: StepRow[] = [];
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #running = new Map<string, { title: string; started: number; message: string; lastPrinted: number }>();
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY) && process.env.CI !== 'true';
  }

  handle = (event: TimedEvent): void => {
    switch (event.kind) {
      case 'step.start':
        this.#running.set(event.id, { title: event.title, started: event.at, message: '', lastPrinted: event.at });
        this.rows.push({ id: event.id, title: event.title, status: 'running', durationMs: 0, detail: '' });
        if (this.#tty) this.#startTimer();
        else this.#line(`▶ ${event.title}`);
        break;
      case 'step.progress': {
        const step = this.#running.get(event.id);
        if (!step) break;
        step.message = event.message;
        // Plain output: at most one progress line every 15 s per step, so CI logs show life, not noise.
        if (!this.#tty && event.at - step.lastPrinted >= 15_000) {
          step.lastPrinted = event.at;
          this.#line(`  … ${step.title} (${formatDuration(event.at - step.started)}): ${truncate(event.message, 160)}`);
        }
        break;
      }
      case 'step.end': {
        const step = this.#running.get(event.id);
        this.#running.delete(event.id);
        const row = [...this.rows].reverse().find((r) => r.id === event.id);
        if (row) Object.assign(row, { status: event.status, durationMs: event.durationMs, detail: event.detail ?? '' });
        this.#clear();
        this.#line(`${SYMBOL[event.status]} ${step?.title ?? event.id} (${formatDuration(event.durationMs)})${event.detail ? ` — ${truncate(event.detail, 200)}` : ''}`);
        if (this.#running.size === 0) this.#stopTimer();
        break;
      }
      case 'log':
        if (event.level === 'debug' && !process.env.DEBUG) break;
        this.#clear();
        this.#line(`${event.level === 'warn' ? '⚠ ' : event.level === 'error' ? '✖ ' : ''}${event.message}`);
        break;
      default:
        break;
    }
  };

  close(): void {
    this.#stopTimer();
    this.#clear();
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#paint(), 120);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #paint(): void {
    const last = [...this.#running.values()].at(-1);
    if (!last) return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    const width = (this.#out.columns ?? 100) - 1;
    const text = `${FRAMES[this.#frame]} ${last.title} ${formatDuration(Date.now() - last.started)}${last.message ? ` · ${last.message}` : ''}`;
    this.#out.write(`\r\x1b[K${truncate(text, width)}`);
  }

  #clear(): void {
    if (this.#tty) this.#out.write('\r\x1b[K');
  }

  #line(text: string): void {
    this.#out.write(`${text}\n`);
  }
}

export { table, truncate } from '../core/text-table.ts';

export function stepTable(rows: StepRow[]): string {
  return table(
    ['step', 'result', 'time', 'detail'],
    rows.map((r) => [r.title, r.status, formatDuration(r.durationMs), truncate(r.detail, 90)]),
  );
}

/** `prodlike status` for a cluster (kind): nodes, HPAs current/target, PVCs, then the notices. */
export function clusterStatusText(cluster: ClusterStatus): string {
  const parts: string[] = [];
  if (cluster.nodes.length) parts.push(table(['node', 'role', 'ready'], cluster.nodes.map((n) => [n.name, n.role, n.ready ? 'Ready' : 'NotReady'])));
  if (cluster.hpas.length) {
    parts.push(table(['hpa', 'target', 'replicas (min..max)', 'metrics current/target'], cluster.hpas.map((h) => [
      `${h.namespace}/${h.name}`, h.target, `${h.replicas.current} (${h.replicas.min}..${h.replicas.max})`,
      h.metrics.map((m) => `${m.resource} ${m.current === undefined ? '<unknown>' : `${m.current}%`}/${m.target === undefined ? '-' : `${m.target}%`}`).join(', '),
    ])));
  }
  if (cluster.pvcs.length) parts.push(table(['pvc', 'status', 'class', 'capacity'], cluster.pvcs.map((p) => [`${p.namespace}/${p.name}`, p.phase, p.storageClass ?? '', p.capacity ?? ''])));
  if (cluster.notices.length) parts.push(cluster.notices.map((n) => `⚠ ${n}`).join('\n'));
  return parts.join('\n\n');
}
