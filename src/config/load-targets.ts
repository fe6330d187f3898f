import { ConfigError } from '../core/errors.ts';
import { targetsFileSchema, type Target, type TargetProfile, type TargetsFile } from './targets-schema.ts';
import { loadYamlFile } from './validate-yaml.ts';

export interface SelectedProfile {
  name: string;
  profile: TargetProfile;
  file: TargetsFile;
}

export async function loadTargets(path: string): Promise<TargetsFile> {
  return loadYamlFile(path, targetsFileSchema, `Targets file ${path}`);
}

export function selectProfile(file: TargetsFile, name: string | undefined, where = 'targets file'): SelectedProfile {
  const chosen = name ?? file.defaultProfile;
  const profile = Object.hasOwn(file.profiles, chosen) ? file.profiles[chosen] : undefined;
  if (!profile) {
    throw new ConfigError(`Unknown target profile "${chosen}" in ${where}.`, {
      hint: `Use one of: ${Object.keys(file.profiles).join(', ')} (--profile or targets.profile in prodlike.yaml).`,
      details: { profile: chosen },
    });
  }
  return { name: chosen, profile, file };
}

export function findTarget(selected: SelectedProfile, id: string): Target | undefined {
  return selected.profile.targets.find((t) => t.id === id);
}

/** "001 §Backup and Recovery › Disaster Recovery Plan" */
export function describeSource(target: Pick<Target, 'source'>, file?: TargetsFile): string {
  const title = file?.documents[target.source.doc];
  return `doc ${target.source.doc}${title ? ` (${title})` : ''} §${target.source.section}`;
}
