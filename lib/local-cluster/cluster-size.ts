// How many nodes a local or VM cluster has and what they are called: control-plane-0…, then worker-0…, so the
// first node is a control plane (it receives Init) and every node's index gives its address.
import { InputError } from '../errors.js';
import type { NodeRole } from './machine-spec.js';

export interface NamedNode {
  readonly name: string;
  readonly role: NodeRole;
}

export interface ClusterSizeLimit {
  readonly maxNodes: number;
  /** The error code of a size outside the limit (LOCAL_CLUSTER_SIZE_INVALID, MINI_CLUSTER_SIZE_INVALID). */
  readonly code: string;
}

/** The nodes of a cluster of this size, control planes first; refuses fewer than 1 control plane or too many nodes. */
export function clusterNodes(controlPlanes: number, workers: number, limit: ClusterSizeLimit): NamedNode[] {
  if (
    !Number.isInteger(controlPlanes) ||
    controlPlanes < 1 ||
    !Number.isInteger(workers) ||
    workers < 0 ||
    controlPlanes + workers > limit.maxNodes
  ) {
    throw new InputError(
      limit.code,
      `Expected at least 1 control-plane node, 0 or more workers and at most ${String(limit.maxNodes)} nodes, found ${String(controlPlanes)} control-plane and ${String(workers)} workers`,
    );
  }
  return [
    ...Array.from({ length: controlPlanes }, (_, i) => ({
      name: `control-plane-${String(i)}`,
      role: 'control-plane' as const,
    })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${String(i)}`, role: 'worker' as const })),
  ];
}
