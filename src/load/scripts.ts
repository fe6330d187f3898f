import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';

/**
 * The k6 scripts in `loadtests/` and what prodlike knows about each: the request names it tags (so
 * latency targets become per-endpoint thresholds), the custom metrics it defines (a threshold on a
 * metric a script does not define makes k6 refuse to start), the target profiles it is checked
 * against by default, and its three load profiles.
 */
export const LOAD_PROFILES = ['smoke', 'ci', 'release'] as const;
export type LoadProfileName = (typeof LOAD_PROFILES)[number];

export interface LoadShape {
  /** Arrival rate (iterations/s) for arrival-rate scripts; undefined for closed-loop scripts. */
  rate?: number | undefined;
  /** Arrival window / test duration, k6 syntax (`60s`, `5m`). */
  duration: string;
  /** Pre-allocated VUs (arrival-rate) or VUs (closed loop). */
  vus: number;
  /** Upper bound of VUs k6 may add when responses slow down (arrival-rate). */
  maxVus?: number | undefined;
  /** Script-specific environment (poll budget, work size…). */
  env?: Record<string, string>;
}

export interface LoadScript {
  name: string;
  file: string;
  description: string;
  /** `name` tags the script puts on its requests; latency SLOs apply to each. */
  endpoints: string[];
  /** Custom k6 metrics the script defines (execution_success, execution_e2e…). */
  metrics: string[];
  /** Every iteration issues this many HTTP requests on average (for the offered request rate). */
  requestsPerIteration: number;
  /** The script submits executions: sample the Redis queue during the run. */
  drivesQueue: boolean;
  /** Target profiles checked when `--targets` is not given. */
  defaultTargets: string[];
  profiles: Record<LoadProfileName, LoadShape>;
}

export const LOADTESTS_DIR = join(PACKAGE_ROOT, 'loadtests');

export const LOAD_SCRIPTS: Record<string, LoadScript> = {
  'execution-load': {
    name: 'execution-load',
    file: 'execution-load.js',
    description: 'Submit executions at a constant arrival rate and poll each until it settles (document 000).',
    endpoints: ['submit', 'status'],
    metrics: ['execution_success', 'execution_e2e', 'execution_queue_wait', 'execution_run_time', 'executions_completed', 'executions_failed', 'executions_unsettled', 'executions_submitted'],
    // One submit plus a few status polls; only used to decide whether a throughput target is meaningful.
    requestsPerIteration: 3,
    drivesQueue: true,
    defaultTargets: ['performance', 'execution'],
    profiles: {
      smoke: { rate: 1, duration: '15s', vus: 5, maxVus: 20, env: { MAX_POLLS: '60', POLL_INTERVAL_MS: '250' } },
      // 60 s of arrivals plus the last executions' polling (at most 25 s + 5 s grace): 61-90 s in all.
      ci: { rate: 3, duration: '60s', vus: 10, maxVus: 60, env: { MAX_POLLS: '100', POLL_INTERVAL_MS: '250' } },
      release: { rate: 5, duration: '5m', vus: 20, maxVus: 150, env: { MAX_POLLS: '240', POLL_INTERVAL_MS: '250' } },
    },
  },
  'read-heavy': {
    name: 'read-heavy',
    file: 'read-heavy.js',
    description: 'GETs of executions and health at a constant arrival rate: the documented 1000+ requests/s shape (document 003).',
    endpoints: ['get', 'list', 'health'],
    metrics: [],
    requestsPerIteration: 1,
    drivesQueue: false,
    defaultTargets: ['performance'],
    profiles: {
      smoke: { rate: 50, duration: '15s', vus: 10, maxVus: 50 },
      ci: { rate: 1000, duration: '30s', vus: 100, maxVus: 400 },
      release: { rate: 1200, duration: '5m', vus: 150, maxVus: 600 },
    },
  },
  'hpa-drive': {
    name: 'hpa-drive',
    file: 'hpa-drive.js',
    description: 'CPU-heavy POST /api/work?ms= requests that drive the backend HPA.',
    endpoints: ['work'],
    metrics: [],
    requestsPerIteration: 1,
    drivesQueue: false,
    // Each request burns WORK_MS of CPU by design: the latency SLO does not apply, errors do.
    defaultTargets: ['performance'],
    profiles: {
      smoke: { rate: 2, duration: '15s', vus: 5, maxVus: 20, env: { WORK_MS: '100' } },
      ci: { rate: 15, duration: '3m', vus: 30, maxVus: 200, env: { WORK_MS: '100' } },
      release: { rate: 15, duration: '10m', vus: 30, maxVus: 300, env: { WORK_MS: '100' } },
    },
  },
  'api-smoke': {
    name: 'api-smoke',
    file: 'api-smoke.js',
    description: 'A few closed-loop users walk frontend, list, submit and status.',
    endpoints: ['frontend', 'list', 'submit', 'status'],
    metrics: [],
    requestsPerIteration: 4,
    drivesQueue: false,
    defaultTargets: ['performance'],
    profiles: {
      smoke: { duration: '15s', vus: 2 },
      ci: { duration: '30s', vus: 5 },
      release: { duration: '2m', vus: 10 },
    },
  },
};

/** Latency targets do not apply to these request names (they do fixed, deliberate work). */
export const LATENCY_EXEMPT_ENDPOINTS: Record<string, string> = {
  work: 'POST /api/work burns the requested CPU time by design; its latency is the work, not the API',
};

export interface ResolvedScript extends LoadScript {
  path: string;
}

/** `execution-load`, `execution-load.js`, `loadtests/execution-load.js` or a path to a known script. */
export function resolveScript(ref: string, cwd = process.cwd()): ResolvedScript {
  const base = ref.replace(/\\/g, '/').split('/').at(-1)!.replace(/\.(js|ts)$/, '');
  const known = LOAD_SCRIPTS[base];
  if (!known) {
    throw new UsageError(`Unknown load test "${ref}".`, {
      hint: `Use one of: ${Object.keys(LOAD_SCRIPTS).join(', ')} (scripts in ${LOADTESTS_DIR}).`,
    });
  }
  const explicit = ref.includes('/') || ref.endsWith('.js') ? (isAbsolute(ref) ? ref : resolve(cwd, ref)) : undefined;
  const path = explicit && existsSync(explicit) ? explicit : join(LOADTESTS_DIR, known.file);
  if (!existsSync(path)) throw new UsageError(`Load test script ${path} does not exist.`, { hint: 'Restore loadtests/ from the repository.' });
  return { ...known, path };
}

export interface ShapeOverrides {
  vus?: number | undefined;
  duration?: string | undefined;
  rate?: number | undefined;
}

/** The load profile with command-line overrides applied; validates the overrides. */
export function resolveShape(script: LoadScript, profile: LoadProfileName, overrides: ShapeOverrides = {}): LoadShape {
  const base = script.profiles[profile];
  if (overrides.duration !== undefined) {
    try {
      parseDuration(overrides.duration);
    } catch (error) {
      throw new UsageError(`--duration ${overrides.duration}: ${(error as Error).message}.`, { hint: 'Write e.g. 30s, 2m or 1m30s.' });
    }
  }
  for (const [key, value] of [['vus', overrides.vus], ['rate', overrides.rate]] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new UsageError(`--${key} must be a positive number (got ${value}).`);
  }
  if (overrides.rate !== undefined && base.rate === undefined) {
    throw new UsageError(`${script.name} is a closed-loop script (constant VUs); --rate does not apply.`, { hint: 'Use --vus and --duration.' });
  }
  const vus = overrides.vus ?? base.vus;
  return {
    ...base,
    ...(overrides.rate !== undefined ? { rate: overrides.rate } : {}),
    ...(overrides.duration !== undefined ? { duration: overrides.duration } : {}),
    vus,
    ...(base.maxVus !== undefined ? { maxVus: Math.max(base.maxVus, vus) } : {}),
  };
}

/** Seconds k6 may still run after the arrival window (gracefulStop of the scripts). */
export function tailSeconds(script: LoadScript, shape: LoadShape): number {
  if (script.name === 'execution-load') {
    const polls = Number(shape.env?.MAX_POLLS ?? 120);
    const interval = Number(shape.env?.POLL_INTERVAL_MS ?? 250);
    return Math.ceil((polls * interval) / 1000) + 5;
  }
  return script.name === 'hpa-drive' ? 30 : 10;
}

/** The environment a script reads (see loadtests/lib/harness.js). */
export function shapeEnv(shape: LoadShape): Record<string, string> {
  return {
    ...(shape.rate !== undefined ? { RATE: String(shape.rate) } : {}),
    DURATION: shape.duration,
    VUS: String(shape.vus),
    ...(shape.maxVus !== undefined ? { MAX_VUS: String(shape.maxVus) } : {}),
    ...shape.env,
  };
}
