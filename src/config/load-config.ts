import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { configSchema, type ProdlikeConfig } from './schema.ts';
import { loadYamlFile, validateYamlText } from './validate-yaml.ts';

export interface LoadedConfig {
  config: ProdlikeConfig;
  /** Absolute path of the config file, or undefined when defaults were used. */
  file: string | undefined;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
}

export interface LoadConfigOptions {
  /** Explicit path (--config); otherwise `prodlike.yaml` in `cwd`. */
  file?: string;
  cwd?: string;
  /** Command-line overrides applied on top of the file (e.g. --provider). */
  overrides?: Partial<Pick<ProdlikeConfig, 'provider' | 'imageSource' | 'name'>> & { profile?: string };
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ? resolve(cwd, options.file) : undefined;
  const implicit = resolve(cwd, 'prodlike.yaml');
  const file = explicit ?? (existsSync(implicit) ? implicit : undefined);
  let config = file
    ? await loadYamlFile(file, configSchema, `Config ${file}`)
    : validateYamlText('{}', '(defaults)', configSchema, 'Default config');
  const o = options.overrides ?? {};
  config = {
    ...config,
    ...(o.provider ? { provider: o.provider } : {}),
    ...(o.imageSource ? { imageSource: o.imageSource } : {}),
    ...(o.name ? { name: o.name } : {}),
    targets: { ...config.targets, ...(o.profile ? { profile: o.profile } : {}) },
  };
  return { config, file, baseDir: file ? dirname(file) : cwd };
}

export function resolveFrom(loaded: LoadedConfig, path: string): string {
  return isAbsolute(path) ? path : resolve(loaded.baseDir, path);
}
