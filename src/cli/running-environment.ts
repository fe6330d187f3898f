import type { LoadedConfig } from '../config/load-config.ts';
import type { ProviderName } from '../config/schema.ts';
import { EnvironmentNotUpError } from '../core/errors.ts';
import { createProvider } from '../providers/create-provider.ts';
import type { EnvironmentStatus, Provider } from '../providers/provider.ts';
import type { CliContext } from './context.ts';

export interface RunningEnvironment {
  loaded: LoadedConfig;
  provider: Provider;
  status: EnvironmentStatus;
}

/**
 * The configured environment, which must exist (containers or cluster up, healthy or not: `logs` is how
 * one finds out why a service does not start); otherwise the not-up error, "run prodlike up first".
 */
export async function runningEnvironment(ctx: CliContext, explicit?: ProviderName): Promise<RunningEnvironment> {
  const loaded = await ctx.load(explicit ? { provider: explicit } : {});
  const provider = await createProvider({ loaded, bus: ctx.bus }, explicit);
  const status = await provider.status();
  if (!status.exists) throw new EnvironmentNotUpError(loaded.config.name, provider.name);
  return { loaded, provider, status };
}
