import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { labelProblem, refuseOrRecord, type GuardContext } from './ownership.ts';

/**
 * Ownership on a cluster prodlike did not create (provider: cluster): not "the cluster is ours" but "these
 * namespaces are ours". A destructive call (scale, kill, exec, delete, restore, partition, down) goes ahead
 * only when the namespace of its target carries io.prodlike.managed=true and io.prodlike.env=<env>; an absent
 * namespace, one without the labels or one of another environment is refused (OWNERSHIP_REFUSED, exit 3)
 * before any call that changes state. The labels are read with one GET of the Namespace (`read`).
 * Cluster-scoped objects prodlike applies (an IngressClass, a ClusterRole) must be new or carry the same labels.
 */

/** The labels of a namespace or cluster-scoped object; undefined when it does not exist. */
export type LabelReader = (name: string) => Promise<Record<string, string> | undefined>;

/** Every namespace in `namespaces` must exist and be this environment's. */
export async function guardNamespaces(ctx: GuardContext, operation: string, namespaces: readonly string[], read: LabelReader): Promise<void> {
  for (const namespace of [...new Set(namespaces)]) {
    const labels = await read(namespace);
    if (labels === undefined) {
      refuseOrRecord(ctx, operation, `namespace ${namespace}`, 'does not exist (prodlike creates and labels its namespaces at `up`)', { namespace });
      continue;
    }
    const problem = labelProblem(labels, ctx.env);
    if (problem) refuseOrRecord(ctx, operation, `namespace ${namespace}`, problem, { namespace, labels });
  }
}

/**
 * Before `up` applies anything: a namespace or cluster-scoped object prodlike would create may be absent or
 * already this environment's; one that exists without the labels is the cluster's (or another tool's) and is
 * refused, so `up` never adopts, relabels or overwrites it.
 */
export async function guardCreatable(ctx: GuardContext, operation: string, objects: readonly { kind: string; name: string }[], read: (kind: string, name: string) => Promise<Record<string, string> | undefined>): Promise<void> {
  for (const o of objects) {
    const labels = await read(o.kind, o.name);
    if (labels === undefined) continue;
    const problem = labelProblem(labels, ctx.env);
    if (problem) refuseOrRecord(ctx, operation, `${o.kind} ${o.name}`, `exists and ${problem}: it is not prodlike's to overwrite`, { kind: o.kind, name: o.name, labels });
  }
}

interface KubeconfigFile {
  contexts?: { name?: string; context?: { cluster?: string } }[];
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

/**
 * The kube target is explicit: the kubeconfig file exists and defines the configured context (prodlike
 * passes both to every call and never uses the file's current-context). Only reads the file. Returns the
 * context's API server for messages.
 */
export async function guardKubeTarget(ctx: GuardContext, operation: string, target: { kubeconfig: string; context: string }): Promise<string | undefined> {
  if (!existsSync(target.kubeconfig)) {
    refuseOrRecord(ctx, operation, `kubeconfig ${target.kubeconfig}`, 'does not exist (cluster.kubeconfig)', { kubeconfig: target.kubeconfig });
    return undefined;
  }
  let file: KubeconfigFile;
  try {
    file = (parse(await readFile(target.kubeconfig, 'utf8')) ?? {}) as KubeconfigFile;
  } catch (cause) {
    refuseOrRecord(ctx, operation, `kubeconfig ${target.kubeconfig}`, `cannot be read as YAML (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`);
    return undefined;
  }
  const context = file.contexts?.find((c) => c?.name === target.context);
  if (!context) {
    refuseOrRecord(ctx, operation, `kube context "${target.context}"`, `is not defined in ${target.kubeconfig} (cluster.context)`, { kubeconfig: target.kubeconfig });
    return undefined;
  }
  return file.clusters?.find((c) => c?.name === context.context?.cluster)?.cluster?.server;
}
