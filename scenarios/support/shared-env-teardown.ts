import { createProvider } from '../../src/providers/create-provider.ts';
import { EventBus } from '../../src/core/events.ts';
import { scenarioConfig } from './scenario-env.ts';

/**
 * The global setup of a project whose suites share one environment (PRODLIKE_SHARED_ENV=1, the
 * `scenarios-kind` project): the first suite creates it, each next one resets it, and the teardown
 * returned here removes it once every suite ran (kept with PRODLIKE_KEEP_ENV=1). Removing an environment
 * that was never created is a no-op. It runs in the runner's main process, which does not get the
 * project's `env`: it reads them from the project.
 */
export default function setup(project: { config: { env?: Record<string, unknown> } }): () => Promise<void> {
  const env = Object.fromEntries(Object.entries(project.config.env ?? {}).map(([k, v]) => [k, String(v)]));
  return async () => {
    if ((env.PRODLIKE_KEEP_ENV ?? process.env.PRODLIKE_KEEP_ENV) === '1') return;
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const { loaded, providerName } = await scenarioConfig();
      const provider = await createProvider({ loaded, bus: new EventBus() }, providerName);
      const { removed } = await provider.destroy();
      if (removed.length) process.stdout.write(`[shared environment] "${loaded.config.name}" removed: ${removed.join(', ')}\n`);
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  };
}
