/**
 * `npm run bench:kind`: times `prodlike up --provider kind` and the by-hand baseline
 * (scripts/kind-baseline.sh: kind create cluster, kind load, kubectl apply -k, rollout status) in the
 * same run, on the same inputs (the cluster config prodlike rendered, the node image, the images, the
 * offline overlay = the same image mapping), and checks prodlike ≤ 1.15 × baseline (issue #7). On the
 * cluster prodlike made, it then times `prodlike up` again (a healthy environment: nothing to do) and
 * `prodlike reset` (back to the freshly deployed state without a new cluster), with the goal
 * reset ≤ 0.35 × baseline (issue #18).
 * Writes runs/kind-bench.json. Exit 0 within the budget, 1 over it, 3 when something could not run.
 *
 *   npm run bench:kind [-- --runs 2] [--order prodlike-first|baseline-first]
 *
 * Needs the kind node image and the offline images (`npx prodlike setup --kind`). Both use their own
 * environment `kindbench` (127.0.0.1:18680); other kind clusters are allowed (they do not collide) but share
 * the CPU, so the record names them (`otherClusters`) and a clean measurement runs alone.
 * With --runs N the two alternate, so neither always gets the warm page cache.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { topologyImages } from '../src/providers/create-provider.ts';
import { clusterName } from '../src/providers/kind/cluster-config.ts';
import { findTool } from '../src/kube/kubectl.ts';
import { loadImageCatalog } from '../src/setup/image-catalog.ts';

const BUDGET = 1.15;
const RESET_GOAL = 0.35;
const ENV = 'kindbench';
const ENTRY = 18680;
const CLUSTER = clusterName(ENV);

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 1) || 1;
const baselineFirst = args.includes('baseline-first');

function sh(cmd: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (b: Buffer) => {
      out += b.toString();
      process.stderr.write(b);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code: code ?? 1, out, ms: performance.now() - started }));
  });
}

const clusters = async () => (await sh(findTool('kind'), ['get', 'clusters'])).out.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('No kind'));

async function main(): Promise<number> {
  const existing = await clusters();
  if (existing.includes(CLUSTER)) {
    process.stderr.write(`kind cluster ${CLUSTER} exists (an earlier bench?): remove it first (\`kind delete cluster --name ${CLUSTER}\`).\n`);
    return 3;
  }
  // Another environment's cluster does not collide with the bench's own (name kindbench, ports 18680-18687), but
  // shares the CPU: the run goes on and the record names it.
  const others = existing;
  if (others.length) process.stderr.write(`note: other kind clusters are running (${others.join(', ')}): the timings share the machine with them.\n`);
  const catalog = await loadImageCatalog();
  const images = await topologyImages('offline');
  const localImages = [images.app, images.frontend, images.postgres, images.redis, images.minio];
  const project = await mkdtemp(join(tmpdir(), 'prodlike-kindbench-'));
  const configFile = join(project, 'prodlike.yaml');
  await writeFile(configFile, stringify({ name: ENV, provider: 'kind', imageSource: 'offline', manifests: join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind'), ports: { entry: ENTRY } }));
  const cli = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
  const renderedConfig = join(project, 'cluster.yaml');
  const results: { tool: 'prodlike' | 'baseline' | 'up-healthy' | 'reset'; ms: number; phases: Record<string, number | string> }[] = [];
  const phasesOf = (out: string) => Object.fromEntries([...out.matchAll(/^✔ (.+) \(([^()]+)\)\s*$/gm)].map((m) => [m[1]!, m[2]!]));

  const prodlike = async () => {
    const up = await sh(process.execPath, [cli, '--config', configFile, 'up', '--provider', 'kind']);
    if (up.code !== 0) throw new Error(`prodlike up failed (exit ${up.code})`);
    await copyFile(join(project, '.prodlike', ENV, 'cluster.yaml'), renderedConfig);
    results.push({ tool: 'prodlike', ms: up.ms, phases: phasesOf(up.out) });
    const again = await sh(process.execPath, [cli, '--config', configFile, 'up', '--provider', 'kind']);
    if (again.code !== 0 || !/nothing to do/.test(again.out)) throw new Error(`prodlike up on the healthy environment did not say "nothing to do" (exit ${again.code})`);
    results.push({ tool: 'up-healthy', ms: again.ms, phases: {} });
    const reset = await sh(process.execPath, [cli, '--config', configFile, 'reset', '--provider', 'kind']);
    if (reset.code !== 0) throw new Error(`prodlike reset failed (exit ${reset.code})`);
    results.push({ tool: 'reset', ms: reset.ms, phases: phasesOf(reset.out) });
    const down = await sh(process.execPath, [cli, '--config', configFile, 'down']);
    if (down.code !== 0) throw new Error(`prodlike down failed (exit ${down.code})`);
  };
  const baseline = async () => {
    const timings = join(project, 'baseline.json');
    const env: Record<string, string> = { NAME: CLUSTER, ENTRY_PORT: String(ENTRY), NODE_IMAGE: catalog.kindNode.offline, IMAGES: localImages.join(' '), TIMINGS: timings };
    if (await readFile(renderedConfig).then(() => true, () => false)) env.CLUSTER_CONFIG = renderedConfig;
    const r = await sh('bash', [join(PACKAGE_ROOT, 'scripts', 'kind-baseline.sh')], env);
    if (r.code !== 0) throw new Error(`the baseline failed (exit ${r.code})`);
    const t = JSON.parse(await readFile(timings, 'utf8')) as { total: number; phases: Record<string, number> };
    // The script's own total: its phases, not the cluster deletion its exit trap does afterwards.
    results.push({ tool: 'baseline', ms: t.total * 1000, phases: t.phases });
  };

  try {
    for (let i = 0; i < runs; i++) {
      const first = (i % 2 === 0) !== baselineFirst ? [prodlike, baseline] : [baseline, prodlike];
      for (const step of first) await step();
    }
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    await sh(findTool('kind'), ['delete', 'cluster', '--name', CLUSTER]);
    return 3;
  } finally {
    await rm(project, { recursive: true, force: true }).catch(() => undefined);
  }
  const mean = (tool: string) => {
    const xs = results.filter((r) => r.tool === tool).map((r) => r.ms);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const ratio = mean('prodlike') / mean('baseline');
  const resetRatio = mean('reset') / mean('baseline');
  const record = {
    at: new Date().toISOString(), runs, otherClusters: others, order: baselineFirst ? 'baseline-first' : 'prodlike-first', budget: BUDGET,
    prodlikeMs: Math.round(mean('prodlike')), baselineMs: Math.round(mean('baseline')), ratio: Number(ratio.toFixed(3)), withinBudget: ratio <= BUDGET,
    upHealthyMs: Math.round(mean('up-healthy')), resetMs: Math.round(mean('reset')), resetRatio: Number(resetRatio.toFixed(3)), resetGoal: RESET_GOAL, resetWithinGoal: resetRatio <= RESET_GOAL,
    note: 'wall-clock of `prodlike up` (process start to exit, incl. node startup and the final status) vs the sum of scripts/kind-baseline.sh phases (without its cluster deletion), same images/config; shared 2-core machine: noisy and pessimistic',
    results,
  };
  await mkdir(join(PACKAGE_ROOT, 'runs'), { recursive: true });
  await writeFile(join(PACKAGE_ROOT, 'runs', 'kind-bench.json'), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`\nprodlike up ${(record.prodlikeMs / 1000).toFixed(1)} s · baseline ${(record.baselineMs / 1000).toFixed(1)} s · ratio ${record.ratio} (budget ${BUDGET}) → ${record.withinBudget ? 'within budget' : 'OVER budget'}\n`
    + `up on the healthy environment ${(record.upHealthyMs / 1000).toFixed(1)} s (${(record.upHealthyMs / record.baselineMs).toFixed(3)} × baseline) · reset ${(record.resetMs / 1000).toFixed(1)} s · ratio ${record.resetRatio} (goal ${RESET_GOAL}) → ${record.resetWithinGoal ? 'within goal' : 'OVER goal'}\nwrote runs/kind-bench.json\n`);
  return record.withinBudget && record.resetWithinGoal ? 0 : 1;
}

process.exitCode = await main();
