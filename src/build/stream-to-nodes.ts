import { PassThrough } from 'node:stream';
import { run, runStreaming } from '../core/exec.ts';

const TIMEOUT_MS = 10 * 60_000;

/** The node's containerd snapshotter (what `kind load` passes to `ctr import` too), overlayfs when not configured. */
export async function snapshotter(node: string): Promise<string> {
  const r = await run('docker', ['exec', node, 'cat', '/etc/containerd/config.toml'], { allowFailure: true, timeoutMs: 30_000 });
  return /^\s*snapshotter\s*=\s*"([^"]+)"/m.exec(r.stdout)?.[1] ?? 'overlayfs';
}

/**
 * `kind load docker-image` without its temporary archive: one `docker save` of the images streamed into
 * `ctr images import` on every node at once. Layers a node has already are not unpacked again (the
 * content store dedups them by digest), so a rebuilt application image costs the transfer of its archive
 * and the unpacking of its new layers. A node whose import fails ends the transfer for all.
 */
export async function streamImagesToNodes(images: readonly string[], nodes: readonly string[], progress?: (line: string) => void): Promise<void> {
  const snapshotters = await Promise.all(nodes.map(snapshotter));
  const source = new PassThrough();
  const sinks = nodes.map(() => new PassThrough());
  for (const sink of sinks) source.pipe(sink);
  const fail = (error: unknown) => {
    for (const s of [source, ...sinks]) s.destroy();
    throw error;
  };
  const save = runStreaming('docker', ['save', ...images], { stdout: source, timeoutMs: TIMEOUT_MS }).catch(fail);
  const imports = nodes.map((node, i) => runStreaming('docker', ['exec', '-i', node, 'ctr', '--namespace=k8s.io', 'images', 'import', '--all-platforms', '--digests', `--snapshotter=${snapshotters[i]}`, '-'], { stdin: sinks[i]!, timeoutMs: TIMEOUT_MS })
    .then((r) => progress?.(`${node}: imported ${images.join(', ')}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n').at(-1)})` : ''}`))
    .catch(fail));
  await Promise.all([save, ...imports]);
}
