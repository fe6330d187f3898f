import type { LoadedConfig } from '../config/load-config.ts';
import { EnvironmentStore } from '../providers/environment-state.ts';
import type { ResolvedSource } from '../setup/image-catalog.ts';
import { resolveImageSource } from '../setup/image-source.ts';

/** The image source of the environment: the one it was created with (its state), else `imageSource` resolved, as createProvider does. */
export async function environmentImageSource(loaded: LoadedConfig): Promise<ResolvedSource> {
  const state = await new EnvironmentStore(loaded.baseDir, loaded.config.name).readState();
  return state?.imageSource ?? (await resolveImageSource(loaded.config.imageSource)).source;
}
