/** Shared helpers for the check unit tests: minimal manifests from YAML, profiles from literal targets. */
import { join } from 'node:path';
import { loadTargets, selectProfile, type SelectedProfile } from '../config/load-targets.ts';
import { configSchema, resolveWorkload, type ProdlikeConfig } from '../config/schema.ts';
import { targetsFileSchema } from '../config/targets-schema.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { checkManifests } from './check.ts';
import type { CheckOptions, Finding, LoadTestScript, Rule } from './finding.ts';
import { buildManifests, parseManifestText, type Manifests } from './model.ts';

export const TARGETS_FILE = join(PACKAGE_ROOT, 'fixtures', 'targets.yaml');
export const CONFIG: ProdlikeConfig = configSchema.parse({});

export async function profile(name: string): Promise<SelectedProfile> {
  return selectProfile(await loadTargets(TARGETS_FILE), name);
}

/** A one-profile targets file ("test", document 001) with the given sections. */
export function testProfile(sections: { targets?: unknown[]; autoscaling?: unknown[]; disruptionBudgets?: unknown[] }): SelectedProfile {
  const file = targetsFileSchema.parse({
    documents: { '001': 'On-Premise (In-Cluster) Architecture', '003': 'Infrastructure Requirements' },
    defaultProfile: 'test',
    profiles: { test: { title: 'Test profile', documents: ['001'], ...sections } },
  });
  return selectProfile(file, 'test');
}

export const SRC = { doc: '001', section: 'High Availability › 5. Disaster Recovery Plan' };

export function manifests(yaml: string): Manifests {
  return buildManifests(parseManifestText(yaml, 'test.yaml'));
}

export function runRule(rule: Rule, yaml: string, selected: SelectedProfile, extra: { options?: Partial<CheckOptions>; loadtests?: LoadTestScript[]; config?: ProdlikeConfig } = {}): Finding[] {
  return checkManifests({
    manifests: manifests(yaml),
    selected,
    config: extra.config ?? CONFIG,
    rules: [rule],
    ...(extra.options ? { options: extra.options } : {}),
    ...(extra.loadtests ? { loadtests: extra.loadtests } : {}),
  });
}

export interface DeploymentSpec {
  kind?: 'Deployment' | 'StatefulSet';
  name: string;
  namespace?: string;
  replicas?: number;
  labels?: Record<string, string>;
  /** YAML of the containers list items, indented by the caller's template below. */
  container?: string;
  extraSpec?: string;
  podExtra?: string;
}

/** A Deployment/StatefulSet whose pod template carries app=<name> (plus labels). */
export function workload(s: DeploymentSpec): string {
  const labels = { app: s.name, ...s.labels };
  const labelYaml = Object.entries(labels).map(([k, v]) => `        ${k}: ${v}`).join('\n');
  return `---
apiVersion: apps/v1
kind: ${s.kind ?? 'Deployment'}
metadata:
  name: ${s.name}
  namespace: ${s.namespace ?? resolveWorkload(CONFIG, 'backend').namespace}
spec:
  replicas: ${s.replicas ?? 1}
  selector:
    matchLabels:
      app: ${s.name}
${s.extraSpec ?? ''}  template:
    metadata:
      labels:
${labelYaml}
    spec:
${s.podExtra ?? ''}      containers:
${s.container ?? `        - name: ${s.name}
          image: example/${s.name}:1.0
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: 200m, memory: 256Mi }`}
`;
}
