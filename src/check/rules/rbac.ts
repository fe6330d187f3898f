/**
 * RBAC versus what the workloads do. Today: workloads that create Jobs (or Pods) from a template held
 * in a ConfigMap — document 000's execution model, where the backend creates one Job per execution in
 * another namespace. Permissions are evaluated from Roles/ClusterRoles and their bindings, never from names.
 */
import { obj } from '../components.ts';
import type { CheckContext, Finding, Rule } from '../finding.ts';
import type { RbacRole, Workload } from '../model.ts';

export interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace: string;
  name?: string;
}

/** Built-in ClusterRoles that grant every namespaced verb the rule asks about. */
const BUILTIN_BROAD = new Set(['cluster-admin', 'admin', 'edit']);

/** Does service account `ns/sa` get `access` from the RBAC objects in the manifests? */
export function allows(ctx: CheckContext, saNamespace: string, sa: string, access: Access): { allowed: boolean; unknownRoles: string[] } {
  const unknownRoles: string[] = [];
  const subjectMatches = (s: { kind: string; name: string; namespace?: string }, bindingNs: string | undefined) =>
    (s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? bindingNs) === saNamespace)
    || (s.kind === 'Group' && (s.name === 'system:serviceaccounts' || s.name === `system:serviceaccounts:${saNamespace}` || s.name === 'system:authenticated'));
  for (const b of ctx.manifests.bindings) {
    const cluster = b.kind === 'ClusterRoleBinding';
    if (!cluster && b.namespace !== access.namespace) continue;
    if (!b.subjects.some((s) => subjectMatches(s, b.namespace))) continue;
    const role = ctx.manifests.roles.find((r) => r.kind === b.roleRef.kind && r.name === b.roleRef.name && (r.kind === 'ClusterRole' || r.namespace === b.namespace));
    if (!role) {
      if (b.roleRef.kind === 'ClusterRole' && BUILTIN_BROAD.has(b.roleRef.name)) return { allowed: true, unknownRoles };
      unknownRoles.push(`${b.roleRef.kind} ${b.roleRef.name}`);
      continue;
    }
    if (grants(role, access)) return { allowed: true, unknownRoles };
  }
  return { allowed: false, unknownRoles };
}

function grants(role: RbacRole, a: Access): boolean {
  const has = (list: string[], v: string) => list.includes('*') || list.includes(v);
  return role.rules.some((r) => has(r.apiGroups, a.group) && has(r.resources, a.resource) && has(r.verbs, a.verb)
    && (r.resourceNames.length === 0 || (a.name !== undefined && r.resourceNames.includes(a.name))));
}

/** Workloads that name the ConfigMap in env values or arguments (JOB_TEMPLATE_CONFIGMAP=execution-job-template). */
function namedBy(ctx: CheckContext, configMap: string): Workload[] {
  const re = new RegExp(`(^|[^a-z0-9-])${configMap.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9-])`);
  return ctx.manifests.workloads.filter((w) => [...w.template.containers, ...w.template.initContainers]
    .some((c) => c.env.some((e) => e.value !== undefined && re.test(e.value)) || [...c.command, ...c.args].some((a) => re.test(a))));
}

/** Workloads whose service account may do something with Jobs anywhere: the intent to launch them. */
function jobLaunchers(ctx: CheckContext): Workload[] {
  return ctx.manifests.workloads.filter((w) => w.kind !== 'Job' && w.kind !== 'CronJob').filter((w) => {
    const sa = w.template.serviceAccountName;
    return ctx.manifests.bindings.some((b) => b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? b.namespace) === w.namespace)
      && ctx.manifests.roles.some((r) => r.kind === b.roleRef.kind && r.name === b.roleRef.name && r.rules.some((x) => (x.apiGroups.includes('batch') || x.apiGroups.includes('*')) && (x.resources.includes('jobs') || x.resources.includes('*')) && (x.verbs.includes('create') || x.verbs.includes('*')))));
  });
}

const RESOURCE: Record<string, { group: string; resource: string }> = {
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  Pod: { group: '', resource: 'pods' },
  Deployment: { group: 'apps', resource: 'deployments' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
};

export const rbacRule: Rule = {
  id: 'rbac-missing-permission',
  title: 'RBAC does not grant what the workloads do',
  severity: 'error',
  description: 'For a workload template held in a ConfigMap (document 000\'s execution Job template), the workloads that launch it '
    + '(they name the ConfigMap in env/args, else their service account has Job permissions somewhere) must be allowed to create '
    + 'that kind in the template\'s namespace and to read the ConfigMap; the template\'s service account must exist. Evaluated '
    + 'from Roles, ClusterRoles and their bindings in the manifests.',
  run(ctx) {
    const findings: Finding[] = [];
    const hasRbac = ctx.manifests.roles.length > 0 || ctx.manifests.bindings.length > 0;
    for (const t of ctx.manifests.templatedWorkloads) {
      const cm = t.heldIn!.configMap;
      const named = namedBy(ctx, cm.name);
      const launchers = named.length > 0 ? named : jobLaunchers(ctx);
      const kind = RESOURCE[t.kind]!;
      const where = `the ${t.kind} template in ConfigMap ${cm.namespace}/${cm.name}`;
      if (launchers.length === 0) {
        if (!hasRbac) continue;
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: `No workload in the manifests may create ${kind.resource} in ${t.namespace}, where ${where} creates them: no service account is granted create on ${kind.group || 'core'}/${kind.resource} there, and none names the ConfigMap.`,
          hint: `Bind the launching workload's service account to a Role in ${t.namespace} with verbs [create, get, list, watch, delete] on ${kind.resource} (document 000 §RBAC Configuration), or ignore this if the launcher runs outside these manifests.`,
          objects: [obj(ctx, cm)],
          targets: [],
          details: { template: `${t.kind}/${t.name}`, namespace: t.namespace },
        });
        continue;
      }
      for (const w of launchers) {
        const sa = w.template.serviceAccountName;
        const missing: string[] = [];
        const unknown: string[] = [];
        const check = (a: Access, text: string) => {
          const r = allows(ctx, w.namespace, sa, a);
          unknown.push(...r.unknownRoles);
          if (!r.allowed) missing.push(text);
        };
        check({ verb: 'create', ...kind, namespace: t.namespace }, `create ${kind.resource} in ${t.namespace}`);
        const mounted = w.template.volumes.some((v) => v.configMap === cm.name) && w.namespace === cm.namespace;
        if (!mounted) check({ verb: 'get', group: '', resource: 'configmaps', namespace: cm.namespace!, name: cm.name }, `get configmap ${cm.name} in ${cm.namespace}`);
        if (missing.length === 0 || unknown.length > 0) continue;
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: `${w.kind} ${w.namespace}/${w.name} (service account ${sa}) launches ${where}, which creates ${kind.resource} in namespace ${t.namespace}, but RBAC does not allow it to ${missing.join(' or ')}: every launch fails with "forbidden".`
            + `${named.length === 0 ? ' (It is taken as the launcher because its service account has Job permissions elsewhere.)' : ''}`,
          hint: `Add a Role in ${t.namespace} with ${kind.group ? `apiGroups ["${kind.group}"], ` : ''}resources ["${kind.resource}"], verbs ["create", "get", "list", "watch", "delete"]${mounted ? '' : ` (and get on configmaps, resourceNames ["${cm.name}"], in ${cm.namespace})`}, bound to ServiceAccount ${w.namespace}/${sa} by a RoleBinding in ${t.namespace}: a Role in ${w.namespace} does not reach another namespace.`,
          objects: [obj(ctx, w), obj(ctx, cm)],
          targets: [],
          details: { serviceAccount: `${w.namespace}/${sa}`, missing, templateNamespace: t.namespace },
        });
      }
      const serviceAccounts = ctx.manifests.objects.filter((o) => o.kind === 'ServiceAccount');
      const tsa = t.template.serviceAccountName;
      if (tsa !== 'default' && serviceAccounts.length > 0 && !serviceAccounts.some((o) => o.name === tsa && o.namespace === t.namespace)) {
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: `${where} runs its pods as service account ${tsa}, which is not in namespace ${t.namespace} in the manifests: the Job's pods are never created ("serviceaccount ${tsa} not found").`,
          hint: `Add ServiceAccount ${tsa} in ${t.namespace} (with the Role it needs), or change serviceAccountName in the template.`,
          objects: [obj(ctx, cm)],
          targets: [],
          details: { serviceAccount: `${t.namespace}/${tsa}` },
        });
      }
    }
    return findings;
  },
};
