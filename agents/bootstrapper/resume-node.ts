// What a node with an initialised disk does once rejoin or recovery opened it: read the node state, check that
// the measurement secret it was handed yields the cluster id stored there (a JoinService of another cluster
// cannot make this node measure a foreign id), extend PCR 15, bring Kubernetes back and, on a control-plane
// node that holds the cluster's keys, restart its KMS and JoinService.
import { timingSafeEqual } from 'node:crypto';
import { InputError, VerificationError } from '../../lib/errors.js';
import { deriveClusterId } from '../../lib/crypto/index.js';
import type { Unlocked } from './disk-unlock.js';
import type { NodeLockHolder } from './node-lock.js';
import {
  NODE_STATE_INVALID,
  readControlPlaneKeys,
  readNodeState,
  type ControlPlaneKeys,
  type NodeState,
} from './node-state.js';
import type { KubernetesLayer, StateDisk } from './ports.js';

export const NODE_STATE_MISMATCH = 'NODE_STATE_MISMATCH';

export interface ResumeNodeDeps {
  readonly disk: Pick<StateDisk, 'mountPoint'>;
  readonly diskUuid: string;
  readonly kubernetes: Pick<KubernetesLayer, 'restart'>;
  readonly startKeyHolderServices: (keys: ControlPlaneKeys) => Promise<void>;
}

export async function resumeNode(
  unlocked: Unlocked,
  lock: NodeLockHolder,
  deps: ResumeNodeDeps,
): Promise<{ state: NodeState; keyHolder: boolean }> {
  const state = await readNodeState(deps.disk.mountPoint);
  if (state.diskUuid !== deps.diskUuid.toLowerCase()) {
    throw new InputError(NODE_STATE_INVALID, `node state diskUuid: expected ${deps.diskUuid}, found ${state.diskUuid}`);
  }
  const clusterId = deriveClusterId(unlocked.measurementSecret, state.measurementSalt);
  if (!timingSafeEqual(clusterId, state.clusterId)) {
    throw new VerificationError(
      NODE_STATE_MISMATCH,
      `Expected the measurement secret of cluster ${state.clusterId.toString('hex')}, found one that yields another cluster id`,
    );
  }
  const keys = state.role === 'control-plane' ? await readControlPlaneKeys(deps.disk.mountPoint) : undefined;
  await lock.measureCluster(clusterId);
  await deps.kubernetes.restart();
  if (keys !== undefined) await deps.startKeyHolderServices(keys);
  return { state, keyHolder: keys !== undefined };
}
