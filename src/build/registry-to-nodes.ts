import { run } from '../core/exec.ts';
import { registryRef, type DevRegistry } from '../providers/kind/dev-registry.ts';
import { snapshotter } from './stream-to-nodes.ts';

const TIMEOUT_MS = 10 * 60_000;

/**
 * The images into the nodes through the environment's dev registry (dev-registry.ts): the first image is pushed
 * under the registry's name (Docker sends only the layers the registry lacks), every node pulls it at once
 * (containerd fetches only the layers its content store lacks and unpacks them with the kubelet's snapshotter),
 * then names it as each of `images` — the per-build tag pods get and the configured tag a later apply or Job
 * template uses — and drops the registry's name. All of `images` must be tags of one image.
 */
export async function pushAndPullToNodes(images: readonly string[], nodes: readonly string[], registry: DevRegistry, progress?: (line: string) => void): Promise<void> {
  const [first] = images;
  if (!first) return;
  const pushRef = registryRef(registry.pushHost, first);
  const pullRef = registryRef(registry.pullHost, first);
  await run('docker', ['tag', first, pushRef], { timeoutMs: 30_000 });
  try {
    const pushed = await run('docker', ['push', pushRef], { timeoutMs: TIMEOUT_MS });
    const layers = pushed.stdout.split('\n').filter((l) => /: Pushed$/.test(l.trim())).length;
    progress?.(`pushed ${first} to ${registry.name}: ${layers} new layer(s)`);
  } finally {
    await run('docker', ['image', 'rm', pushRef], { allowFailure: true, timeoutMs: 30_000 });
  }
  await Promise.all(nodes.map(async (node) => {
    const ctr = (args: string[], timeoutMs = 60_000) => run('docker', ['exec', node, 'ctr', '--namespace=k8s.io', ...args], { timeoutMs });
    await ctr(['images', 'pull', '--plain-http', `--snapshotter=${await snapshotter(node)}`, pullRef], TIMEOUT_MS);
    for (const image of images) await ctr(['images', 'tag', '--force', pullRef, image]);
    await ctr(['images', 'rm', pullRef]);
    progress?.(`${node}: pulled ${first} from ${registry.pullHost} as ${images.join(', ')}`);
  }));
}
