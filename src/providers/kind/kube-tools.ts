/**
 * Moved to src/kube/kubectl.ts (Kubernetes access sits below providers, safety and load). Kept for the
 * scenario files that still import it from here; new code imports src/kube/kubectl.ts.
 */
export { findTool, kind, Kubectl } from '../../kube/kubectl.ts';
