import { join } from 'node:path';
import { ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import type { ImageCatalog, ResolvedSource } from './image-catalog.ts';
import { inspectImage, runBuildScript } from './image-builder.ts';
import { inputsHash } from './inputs-hash.ts';

export interface AppImageResult {
  status: 'cached' | 'built';
  id: string;
  inputs: string;
  detail: string;
}

/** The reference workload's build script (fixtures/app/build.sh, from the catalogue's `app.build`). */
export const appBuildScript = (catalog: ImageCatalog): string => join(PACKAGE_ROOT, 'fixtures', 'images', catalog.app.build, 'build.sh');

/**
 * The reference workload's images (fixtures/app/build.sh: esbuild bundle, then the app and frontend
 * images FROM the catalogue's node and nginx), rebuilt only when their inputs hash changed. Used by
 * `prodlike setup` and by `prodlike up --build`.
 */
export async function ensureAppImages(options: {
  catalog: ImageCatalog;
  source: ResolvedSource;
  cache: string;
  progress: (line: string) => void;
  signal?: AbortSignal | undefined;
}): Promise<AppImageResult> {
  const { catalog, source } = options;
  const script = appBuildScript(catalog);
  const node = source === 'online' ? catalog.images.node!.online : catalog.images.node!.offline;
  const nginx = source === 'online' ? catalog.images.nginx!.online : catalog.images.nginx!.offline;
  const nodeId = (await inspectImage(node))?.id;
  const nginxId = (await inspectImage(nginx))?.id;
  const inputs = await inputsHash({ paths: [join(script, '..'), join(PACKAGE_ROOT, 'fixtures', 'images', 'lib.sh'), join(PACKAGE_ROOT, 'package-lock.json')], extra: { node: nodeId, nginx: nginxId } });
  const [backend, frontend] = [await inspectImage(catalog.app.backend), await inspectImage(catalog.app.frontend)];
  if (backend?.inputs === inputs && frontend?.inputs === inputs) {
    return { status: 'cached', id: backend.id, inputs, detail: `${catalog.app.backend}, ${catalog.app.frontend} up to date` };
  }
  await runBuildScript({ signal: options.signal, script, tag: catalog.app.backend, inputs, cacheDir: options.cache, timeoutMs: 20 * 60_000, progress: options.progress, env: { NODE_IMAGE: node, NGINX_IMAGE: nginx, FRONTEND_IMAGE_TAG: catalog.app.frontend } });
  const built = await inspectImage(catalog.app.backend);
  if (!built) throw new ProdlikeError('BUILD_FAILED', `${script} finished but ${catalog.app.backend} does not exist.`);
  return { status: 'built', id: built.id, inputs, detail: `${catalog.app.backend}, ${catalog.app.frontend}` };
}
