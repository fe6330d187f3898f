import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import { EventBus, type DevCycleEvent } from '../core/events.ts';
import { cacheDir } from '../core/paths.ts';
import type { Provider, RolledReplica } from '../providers/provider.ts';
import type { ImageCatalog, ResolvedSource } from '../setup/image-catalog.ts';
import { rollOutBuilt } from './build-and-roll-out.ts';
import type { ChangeBatch } from './cycle-queue.ts';
import { buildImages, type BuildPlan, type BuiltImage } from './image-build.ts';
import type { KindRolledWorkload } from './kind-roll-out.ts';

const TAIL_LINES = 15;
/** A stack frame (`    at fn (file:line)`): left out of the error tail, where the tool's message is what helps. */
const STACK_FRAME = /^\s+at\s/;

export interface DevCycleOptions {
  provider: Provider;
  loaded: LoadedConfig;
  plans: readonly BuildPlan[];
  catalog: ImageCatalog;
  source: ResolvedSource;
  /** Warnings and errors of the builds are forwarded to it; step lines are not (one line per cycle). */
  bus: EventBus;
  signal?: AbortSignal;
  /** kind: replace every replica of a Deployment at once (maxSurge 100% during the roll-out only). */
  surge?: boolean;
  /** Whether `docker buildx` exists (probed once by the loop). */
  buildx?: boolean;
}

const isDocker = (r: RolledReplica | KindRolledWorkload): r is RolledReplica => 'recreateMs' in r;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** `backend ×3, worker ×1 on <image>`: what a cycle rolled out. */
export function describeRolled(rolled: readonly (RolledReplica | KindRolledWorkload)[]): string {
  if (!rolled.length) return 'every replica already ran the image';
  const roles = new Map<string, number>();
  for (const r of rolled) roles.set(r.role, (roles.get(r.role) ?? 0) + 1);
  const images = [...new Set(rolled.map((r) => r.image))];
  const what = [...roles].map(([role, n]) => (rolled.some(isDocker) ? `${role} ×${n}` : role)).join(', ');
  return `${what} on ${images.join(', ')}`;
}

/**
 * One cycle of `prodlike dev`: build the plans of the batch's images (each skipped when its inputs hash
 * matches), roll out the roles of those built, and measure. The steps run on a bus of their own: their
 * output is kept for the error tail instead of printed. A failed build leaves the running image as it was.
 */
export async function runDevCycle(batch: ChangeBatch, cycle: number, options: DevCycleOptions): Promise<DevCycleEvent> {
  const inner = new EventBus();
  const lines: string[] = [];
  inner.on((e) => {
    if (e.kind === 'step.progress' && !STACK_FRAME.test(e.message)) {
      lines.push(e.message);
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    } else if (e.kind === 'log' && (e.level === 'warn' || e.level === 'error')) options.bus.emit(e);
  });
  const base = {
    kind: 'dev.cycle' as const,
    cycle,
    images: batch.images,
    // An editor's temporary files (sed -i, a swap file) come and go: the paths that exist now, if any do.
    paths: (batch.paths.some((p) => existsSync(p)) ? batch.paths.filter((p) => existsSync(p)) : batch.paths).map((p) => relative(options.loaded.baseDir, p) || p),
  };
  const plans = options.plans.filter((p) => batch.images.includes(p.image));
  let built: BuiltImage[];
  const buildStarted = performance.now();
  try {
    built = await buildImages(plans, { catalog: options.catalog, source: options.source, cache: cacheDir(), bus: inner, signal: options.signal, ...(options.buildx === undefined ? {} : { buildx: options.buildx }) });
  } catch (error) {
    return { ...base, outcome: 'build-failed', buildMs: performance.now() - buildStarted, rolloutMs: 0, readyMs: 0, totalMs: Date.now() - batch.firstChangeAt, error: message(error), tail: lines.slice(-TAIL_LINES) };
  }
  const buildMs = sum(built.map((b) => b.durationMs));
  if (!built.some((b) => b.status === 'built')) return { ...base, outcome: 'up-to-date', buildMs, rolloutMs: 0, readyMs: 0, totalMs: Date.now() - batch.firstChangeAt };
  const rolloutStarted = performance.now();
  try {
    const { rolled } = await rollOutBuilt({ provider: options.provider, loaded: options.loaded, built: built.filter((b) => b.status === 'built'), bus: inner, startedAt: rolloutStarted, surge: options.surge === true, ...(options.signal ? { signal: options.signal } : {}) });
    const docker = rolled.filter(isDocker);
    const kind = rolled.filter((r): r is KindRolledWorkload => !isDocker(r));
    return {
      ...base,
      outcome: 'rolled-out',
      buildMs,
      ...(kind.length ? { loadMs: sum(kind.map((r) => r.loadMs)) } : {}),
      // docker re-creates one replica after the other; kind rolls the workloads out together.
      rolloutMs: sum(docker.map((r) => r.recreateMs)) + Math.max(0, ...kind.map((r) => r.restartMs)),
      readyMs: sum(docker.map((r) => r.readyMs)) + Math.max(0, ...kind.map((r) => r.readyMs)),
      totalMs: Date.now() - batch.firstChangeAt,
      rolled: describeRolled(rolled),
    };
  } catch (error) {
    return { ...base, outcome: 'roll-out-failed', buildMs, rolloutMs: performance.now() - rolloutStarted, readyMs: 0, totalMs: Date.now() - batch.firstChangeAt, error: message(error), tail: lines.slice(-TAIL_LINES) };
  }
}

function message(error: unknown): string {
  if (error instanceof Error) {
    const hint = (error as { hint?: unknown }).hint;
    return typeof hint === 'string' && hint ? `${error.message} (${hint})` : error.message;
  }
  return String(error);
}
