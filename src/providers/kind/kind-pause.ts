import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import type { PodObject } from '../../kube/objects.ts';
import type { PauseTarget, ReplicaStatus } from '../provider.ts';

/**
 * A replica paused on kind: its containers' tasks frozen in their node by containerd (`ctr task pause`:
 * runc's freezer cgroup), resumed with `ctr task resume`. The pod sandbox (its network namespace) is left
 * running, so the port still accepts TCP connections that nothing answers — a hung process, not a dead one.
 * What to resume (node + container ids) is resolved before the pause, so a journal entry can resume exactly
 * those containers from another process; a container that is gone by then (the kubelet replaced it, the node
 * was deleted) needs no resume.
 */

/** containerd's namespace of the CRI (the kubelet's) containers in a kind node. */
export const CRI_NAMESPACE = 'k8s.io';

/** The container id of a pod status `containerID` (`containerd://<id>`); undefined for none or another runtime. */
export function containerIdOf(containerID: string | undefined): string | undefined {
  const match = /^containerd:\/\/([0-9a-f]{12,})$/.exec(containerID ?? '');
  return match?.[1];
}

/** `docker exec <node> ctr --namespace k8s.io task <action> [<id>]`: the argv for `docker`. */
export function ctrTaskArgv(node: string, action: 'pause' | 'resume' | 'ls', id?: string): string[] {
  if (action !== 'ls' && !id) throw new ProdlikeError('INTERNAL', `ctr task ${action} needs a container id.`);
  return ['exec', node, 'ctr', '--namespace', CRI_NAMESPACE, 'task', action, ...(action === 'ls' ? [] : [id!])];
}

export type TaskStatus = 'RUNNING' | 'PAUSED' | 'PAUSING' | 'STOPPED' | 'CREATED' | 'UNKNOWN';

/** A task frozen or being frozen (what a pause leaves and a resume undoes). */
const frozenStatus = (status: TaskStatus | undefined): boolean => status === 'PAUSED' || status === 'PAUSING';

/** `ctr task ls` output (`TASK PID STATUS` columns) as id → status. */
export function parseTaskList(stdout: string): Map<string, TaskStatus> {
  const tasks = new Map<string, TaskStatus>();
  for (const line of stdout.split('\n').slice(1)) {
    const [id, , status] = line.trim().split(/\s+/);
    if (id && status) tasks.set(id, (['RUNNING', 'PAUSED', 'PAUSING', 'STOPPED', 'CREATED'].includes(status) ? status : 'UNKNOWN') as TaskStatus);
  }
  return tasks;
}

/** What pausing the pod freezes: its node and the ids of its running containers. */
export function pauseTargetOf(pod: PodObject): PauseTarget {
  const node = pod.spec?.nodeName;
  const containers = (pod.status?.containerStatuses ?? []).filter((c) => c.state?.running).map((c) => containerIdOf(c.containerID)).filter((id): id is string => Boolean(id));
  if (!node || containers.length === 0) {
    throw new ProdlikeError('PROVIDER_FAILED', `Pod ${pod.metadata.name} has no running container to pause${node ? '' : ' (not scheduled on a node)'}.`, { hint: 'Wait until the pod is Running (`prodlike status`).' });
  }
  return { pod: pod.metadata.name, node, containers };
}

/** The paused containers of some nodes, and the nodes whose task states could not be read (node → why). */
export interface PauseStates {
  paused: ReadonlySet<string>;
  unreadable: ReadonlyMap<string, string>;
}

/**
 * A replica whose containers are frozen reads `paused` (and unhealthy), as docker reports a paused container;
 * one on a node whose task states could not be read says so in its state instead of passing for running.
 */
export function withPauseState(status: ReplicaStatus, pod: PodObject, states: PauseStates): ReplicaStatus {
  const ids = (pod.status?.containerStatuses ?? []).map((c) => containerIdOf(c.containerID)).filter((id): id is string => Boolean(id));
  if (ids.some((id) => states.paused.has(id))) return { ...status, state: 'paused', health: 'unhealthy' };
  const why = states.unreadable.get(pod.spec?.nodeName ?? '');
  return why === undefined ? status : { ...status, state: `${status.state} (pause state unknown: ${why})` };
}

/** The node container is gone or stopped: nothing in it is paused, nothing to resume. */
const nodeGone = (stderr: string) => /no such container|is not running|is paused/i.test(stderr);

/** The tasks of a node (id → status); undefined when the node container is gone or stopped. */
export async function nodeTasks(node: string): Promise<Map<string, TaskStatus> | undefined> {
  const r = await run('docker', ctrTaskArgv(node, 'ls'), { allowFailure: true, timeoutMs: 30_000 });
  if (r.exitCode === 0) return parseTaskList(r.stdout);
  if (nodeGone(r.stderr)) return undefined;
  throw new ProdlikeError('PROVIDER_FAILED', `Cannot list the containers of node ${node}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}

/**
 * The argv (for `docker`) that thaws a container's cgroup in its node directly: cgroup v1 `freezer.state` THAWED,
 * v2 `cgroup.freeze` 0 (a no-op on a cgroup that is not frozen). `ctr task resume` refuses a task it lists as
 * running, and a freezer stuck FREEZING (a process that cannot be frozen yet) is listed running: only this
 * thaws that one.
 */
export function thawArgv(node: string, id: string): string[] {
  const script = `for f in $(find /sys/fs/cgroup -path "*${id}*" \\( -name freezer.state -o -name cgroup.freeze \\) 2>/dev/null); do case "$f" in *freezer.state) echo THAWED > "$f" ;; *) echo 0 > "$f" ;; esac; done`;
  return ['exec', node, 'sh', '-c', script];
}

/** How long a pause may take to show as PAUSED in the node's task list before it is undone and tried again. */
const FROZEN_WITHIN_MS = 15_000;
const PAUSE_ATTEMPTS = 3;

/**
 * Freezes the target's containers (one `ctr task pause` each) and returns once the node lists every one PAUSED.
 * `ctr task pause` can return while the freezer is still FREEZING (cgroup v1: a process in the kernel cannot be
 * frozen yet), which the task list shows as RUNNING: neither `status` nor the resume then sees a pause, and the
 * container freezes later, unseen and never resumed (a CI rehearsal, 12/2026: Redis frozen for good after a
 * "successful" rollback). A pause not listed within 15 s is thawed and tried again, up to 3 times; then
 * PROVIDER_FAILED, with the containers thawed.
 */
export async function pauseTasks(target: PauseTarget, options: { frozenWithinMs?: number; attempts?: number } = {}): Promise<void> {
  const attempts = options.attempts ?? PAUSE_ATTEMPTS;
  let seen = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    for (const id of target.containers) {
      const r = await run('docker', ctrTaskArgv(target.node, 'pause', id), { allowFailure: true, timeoutMs: 30_000 });
      if (r.exitCode !== 0 && !/already paused/i.test(r.stderr)) {
        await thawTasks(target);
        throw new ProdlikeError('PROVIDER_FAILED', `Cannot pause container ${id.slice(0, 12)} of pod ${target.pod} on node ${target.node}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      }
    }
    const frozen = await waitFor(async () => {
      const tasks = await nodeTasks(target.node);
      seen = target.containers.map((id) => `${id.slice(0, 12)} ${tasks?.get(id) ?? 'not listed'}`).join(', ');
      return tasks !== undefined && target.containers.every((id) => tasks.get(id) === 'PAUSED');
    }, { timeoutMs: options.frozenWithinMs ?? FROZEN_WITHIN_MS, intervalMs: 250, description: `pod ${target.pod}'s containers to be listed PAUSED` }).catch(() => false);
    if (frozen) return;
    await thawTasks(target);
  }
  throw new ProdlikeError('PROVIDER_FAILED', `Pod ${target.pod} on node ${target.node} did not freeze: after ${attempts} pauses of up to ${(options.frozenWithinMs ?? FROZEN_WITHIN_MS) / 1000} s each its containers were listed ${seen} (a freezer that stays FREEZING: a process busy in the kernel). Its containers were thawed again.`, {
    hint: 'The host is probably very busy (disk or CPU): run the scenario again when it is quieter; `prodlike status` shows the pod running.',
  });
}

/** Thaws the target's containers whatever the task list says (`ctr task resume`, then the cgroup itself); errors ignored. */
async function thawTasks(target: PauseTarget): Promise<void> {
  for (const id of target.containers) {
    await run('docker', ctrTaskArgv(target.node, 'resume', id), { allowFailure: true, timeoutMs: 30_000 });
    await run('docker', thawArgv(target.node, id), { allowFailure: true, timeoutMs: 30_000 });
  }
}

export interface ResumeOutcome {
  resumed: string[];
  /** Running already (never paused, or resumed by someone else). */
  running: string[];
  /** No such task any more (replaced, stopped) or the node is gone: nothing to resume. */
  gone: string[];
}

/**
 * What resuming the containers means given their node's tasks (undefined: the node is gone): paused ones
 * are resumed, running ones left alone, missing or stopped ones are gone (nothing to do).
 */
export function planResume(containers: readonly string[], tasks: ReadonlyMap<string, TaskStatus> | undefined): { resume: string[]; running: string[]; gone: string[] } {
  const plan = { resume: [] as string[], running: [] as string[], gone: [] as string[] };
  for (const id of containers) {
    const status = tasks?.get(id);
    if (status === undefined || status === 'STOPPED') plan.gone.push(id);
    else if (frozenStatus(status)) plan.resume.push(id);
    else plan.running.push(id);
  }
  return plan;
}

/** Thaws those of the target's containers that are paused; the others are left alone (idempotent). */
export async function resumeTasks(target: PauseTarget): Promise<ResumeOutcome> {
  const plan = planResume(target.containers, await nodeTasks(target.node));
  const outcome: ResumeOutcome = { resumed: [], running: plan.running, gone: plan.gone };
  for (const id of plan.resume) {
    const r = await run('docker', ctrTaskArgv(target.node, 'resume', id), { allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode === 0) outcome.resumed.push(id);
    else if (/not found|no running task|is not paused/i.test(r.stderr) || nodeGone(r.stderr)) outcome.gone.push(id); // went away since the listing
    else throw new ProdlikeError('PROVIDER_FAILED', `Cannot resume container ${id.slice(0, 12)} of pod ${target.pod} on node ${target.node}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  // Listed running may still be freezing (see pauseTasks): its cgroup is thawed too (a no-op when it is not frozen).
  for (const id of plan.running) await run('docker', thawArgv(target.node, id), { allowFailure: true, timeoutMs: 30_000 });
  // Resumed means listed running: a container that froze late is thawed again (up to 10 s), else PROVIDER_FAILED.
  // A node that cannot be listed (gone, or not answering) shows nothing frozen.
  let frozen: string[] = [];
  const thawed = await waitFor(async () => {
    frozen = [];
    const tasks = await nodeTasks(target.node);
    frozen = target.containers.filter((id) => frozenStatus(tasks?.get(id)));
    if (frozen.length) await thawTasks({ ...target, containers: frozen });
    return frozen.length === 0;
  }, { timeoutMs: 10_000, intervalMs: 500, description: `pod ${target.pod}'s containers to be listed running` }).catch(() => false);
  if (thawed || !frozen.length) return outcome;
  throw new ProdlikeError('PROVIDER_FAILED', `Pod ${target.pod} on node ${target.node} is still frozen after its resume: ${frozen.map((id) => id.slice(0, 12)).join(', ')}.`, { hint: `Thaw it by hand: docker exec ${target.node} ctr --namespace ${CRI_NAMESPACE} task resume <id>.` });
}

/**
 * The ids of every paused container on these nodes (a node that is gone has none). A node that fails to answer
 * (a `docker exec` slow on a loaded host) is asked once more, then listed as unreadable with the error, never
 * silently taken for one with nothing paused: rehearsal 2 (12/2026) saw a Redis paused for 85 s that status
 * never reported, most likely that way.
 */
export async function pausedContainers(nodes: Iterable<string>, tasksOf: (node: string) => Promise<Map<string, TaskStatus> | undefined> = nodeTasks): Promise<PauseStates> {
  const paused = new Set<string>();
  const unreadable = new Map<string, string>();
  await Promise.all([...new Set(nodes)].map(async (node) => {
    let tasks: Map<string, TaskStatus> | undefined;
    try {
      tasks = await tasksOf(node).catch(() => tasksOf(node));
    } catch (error) {
      unreadable.set(node, error instanceof Error ? error.message : String(error));
      return;
    }
    for (const [id, status] of tasks ?? []) if (frozenStatus(status)) paused.add(id);
  }));
  return { paused, unreadable };
}

/**
 * Thaws every paused container on these nodes (best effort, errors ignored): a frozen process keeps its node
 * container from being killed ("did not receive an exit event"), so deleting a cluster with a paused pod hangs.
 * Returns the ids thawed.
 */
export async function thawAllPaused(nodes: readonly string[]): Promise<string[]> {
  const thawed = await Promise.all(nodes.map(async (node) => {
    const tasks = await nodeTasks(node).catch(() => undefined);
    const ids = [...(tasks ?? [])].filter(([, status]) => frozenStatus(status)).map(([id]) => id);
    if (ids.length) await thawTasks({ pod: '(any)', node, containers: ids });
    return ids;
  }));
  return thawed.flat();
}
