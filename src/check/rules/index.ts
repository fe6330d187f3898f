import type { Rule } from '../finding.ts';
import { alertNoSeriesRule, alertSingleRestartRule, alertUnknownMetricRule, alertUnsetLimitRule } from './alerts.ts';
import { documentedAutoscalingRule, hpaRequestsRule, hpaScaleUpRule } from './autoscaling.ts';
import { backupRule } from './backup.ts';
import { clusterCapacityRule, quotaRule } from './capacity.ts';
import { documentedDisruptionRule, pdbBothBoundsRule, pdbMaxUnavailableZeroRule, pdbMinAvailableRule } from './disruption.ts';
import { minioArchivedRule, pullAlwaysRule, unpinnedImageRule } from './images.ts';
import { ingressAnnotationUnknownRule, ingressNginxRetiredRule } from './ingress.ts';
import { k6ThresholdRule } from './k6.ts';
import { networkPolicyRule } from './network.ts';
import { probeMissingRule, probeTimingRule } from './probes.ts';
import { rbacRule } from './rbac.ts';
import { redisRule } from './redis.ts';
import { singleReplicaRule } from './redundancy.ts';
import { backupDurabilityRule, ephemeralDataRule } from './storage.ts';
import { dataStoreTargetUnmatchedRule } from './target-coverage.ts';

/** Every rule, in the order findings are reported within a severity. Ids are stable (docs/check.md). */
export const RULES: readonly Rule[] = [
  pdbMinAvailableRule,
  pdbMaxUnavailableZeroRule,
  pdbBothBoundsRule,
  probeTimingRule,
  probeMissingRule,
  ephemeralDataRule,
  backupRule,
  backupDurabilityRule,
  redisRule,
  singleReplicaRule,
  hpaScaleUpRule,
  hpaRequestsRule,
  quotaRule,
  clusterCapacityRule,
  networkPolicyRule,
  rbacRule,
  unpinnedImageRule,
  pullAlwaysRule,
  minioArchivedRule,
  ingressNginxRetiredRule,
  ingressAnnotationUnknownRule,
  k6ThresholdRule,
  alertNoSeriesRule,
  alertUnknownMetricRule,
  alertSingleRestartRule,
  alertUnsetLimitRule,
  documentedAutoscalingRule,
  documentedDisruptionRule,
  dataStoreTargetUnmatchedRule,
];
