/**
 * prodlike as a library (package.json `exports`): the provider interface with its capability guards,
 * the errors and exit codes, configuration and target loading, the probe checks and the measurement
 * probes. The CLI (bin/prodlike.mjs, src/cli/) is built on the same modules.
 */
export {
  ConfigError, ERROR_CODES, EXIT_CODES, InternalError, ProdlikeError, TargetMissedError, ToolMissingError, UsageError, exitCodeFor, toProdlikeError,
  type ErrorCode, type ExitCode, type ProdlikeErrorOptions,
} from './core/errors.ts';
export { loadConfig, resolveFrom, type LoadConfigOptions, type LoadedConfig } from './config/load-config.ts';
export { findTarget, loadTargets, selectProfile, type SelectedProfile } from './config/load-targets.ts';
export { configSchema, IMAGE_SOURCES, PROVIDERS, WORKLOAD_ROLES, type ImageSource, type ProdlikeConfig, type ProdlikeConfigInput, type ProviderName, type WorkloadRole } from './config/schema.ts';
export { createProvider, type ProviderContext } from './providers/create-provider.ts';
export * from './providers/provider.ts';
export { Kubectl, type KubeTarget } from './kube/kubectl.ts';
export * from './probe/index.ts';
export * from './measure/index.ts';
