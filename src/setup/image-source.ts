import type { ImageSource } from '../config/schema.ts';
import type { ResolvedSource } from './image-catalog.ts';

export interface ResolvedImageSource {
  source: ResolvedSource;
  reason: string;
}

/** `auto` probes the registry once (one HTTPS request, 3 s timeout); the answer decides for the run. */
export async function resolveImageSource(
  setting: ImageSource,
  probe: () => Promise<boolean> = registryAnswers,
): Promise<ResolvedImageSource> {
  if (setting === 'online') return { source: 'online', reason: 'imageSource: online (official images pinned in fixtures/images/images.yaml)' };
  if (setting === 'offline') return { source: 'offline', reason: 'imageSource: offline (images built locally)' };
  const reachable = await probe();
  return reachable
    ? { source: 'online', reason: 'auto: the registry answered, using official images' }
    : { source: 'offline', reason: 'auto: no registry reachable, building images locally' };
}

/** One HTTPS request to Docker Hub's registry API root (401 = reachable). Never retried. */
export async function registryAnswers(): Promise<boolean> {
  try {
    const response = await fetch('https://registry-1.docker.io/v2/', { signal: AbortSignal.timeout(3000) });
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}
