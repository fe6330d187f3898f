// Writes compose/docker-compose.yaml and compose/ingress.conf from the docker provider's topology.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { topologyImages } from '../src/providers/create-provider.ts';
import { renderCompose, renderIngressConfig } from '../src/providers/docker/compose.ts';

const { config } = await loadConfig({ cwd: PACKAGE_ROOT });
await writeFile(join(PACKAGE_ROOT, 'compose', 'docker-compose.yaml'), renderCompose(config, await topologyImages('offline')));
await writeFile(join(PACKAGE_ROOT, 'compose', 'ingress.conf'), renderIngressConfig(config));
process.stdout.write('wrote compose/docker-compose.yaml and compose/ingress.conf\n');
