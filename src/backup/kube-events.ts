/**
 * Moved to src/measure/kube-events.ts (KubeEventWatch: also the kind provider's event watch). Kept for the
 * scenario that still imports the old names from here.
 */
export { KubeEventTracker as BackupEventTracker, KubeEventWatch as KubeBackupWatch } from '../measure/kube-events.ts';
