// What Init does once the node lock is taken, in an order that keeps a failure (or a kill -9) at any step
// resettable: everything is written to the open, still *pending* disk first; binding the disk to the cluster
// key (the step that makes it survive a reboot) and extending PCR 15 come last. A failure before them is
// reset by markForReset; a kill before them leaves a pending disk, which the next boot reformats. (The
// original bound the disk first, so a crash mid-Init left a node that was neither fresh nor recoverable.)
// Secrets stay in memory and on the state disk only.
import { deriveClusterId, deriveDataKey, deriveDiskKey, deriveMeasurementSecret } from '../../lib/crypto/index.js';
import type { ClusterMaterial } from '../joinservice/ports.js';
import type { InitSuccess } from '../../proto/gen/init.js';
import type { NodeLockHolder } from './node-lock.js';
import { writeControlPlaneKeys, writeNodeState, type ControlPlaneKeys } from './node-state.js';
import type { ValidInitRequest } from './init-request.js';
import type { KubernetesLayer, NodeMetadata, StateDisk } from './ports.js';

/** The owner id: a public identifier of whoever holds the master secret (data key 'ownerID'). */
export const OWNER_ID_KEY = 'ownerID';

export type InitProgressSink = (step: string, message: string) => void;

export interface InitializeClusterDeps {
  /** Prepared (pending) and open. */
  readonly disk: StateDisk;
  readonly diskUuid: string;
  readonly node: NodeMetadata;
  readonly kubernetes: KubernetesLayer;
  /** Starts the KMS and JoinService of a key-holding control-plane node. */
  readonly startKeyHolderServices: (keys: ControlPlaneKeys) => Promise<void>;
}

export async function initializeCluster(
  request: ValidInitRequest,
  lock: NodeLockHolder,
  deps: InitializeClusterDeps,
  progress: InitProgressSink,
): Promise<InitSuccess> {
  const { disk, diskUuid, node } = deps;
  progress('keys', 'deriving the measurement secret and the cluster id');
  const measurementSecret = deriveMeasurementSecret(request.masterSecret);
  const clusterId = deriveClusterId(measurementSecret, request.measurementSalt);
  progress('node-state', 'writing the node state');
  await writeNodeState(disk.mountPoint, {
    role: 'control-plane',
    measurementSalt: request.measurementSalt,
    clusterId,
    diskUuid,
  });
  progress('kubernetes', 'initialising Kubernetes');
  const kubernetes = await deps.kubernetes.initCluster(
    {
      nodeName: node.name,
      nodeAddress: node.address,
      clusterName: request.clusterName,
      config: request.kubernetesConfig,
    },
    (message) => {
      progress('kubernetes', message);
    },
  );
  const cluster: ClusterMaterial = {
    measurementSalt: request.measurementSalt,
    apiServerEndpoint: kubernetes.join.apiServerEndpoint,
    token: kubernetes.join.token,
    discoveryTokenCaCertHash: kubernetes.join.discoveryTokenCaCertHash,
    controlPlane: { files: kubernetes.join.controlPlaneFiles },
  };
  const keys: ControlPlaneKeys = {
    masterSecret: request.masterSecret,
    joinPolicyJson: request.joinPolicyJson,
    joinPolicyVersion: request.joinPolicy.version,
    cluster,
  };
  progress('node-state', 'storing the cluster keys on the state disk');
  await writeControlPlaneKeys(disk.mountPoint, keys);
  progress('services', 'starting the KMS and the JoinService');
  await deps.startKeyHolderServices(keys);
  progress('disk', `binding the state disk (${diskUuid}) to the cluster key`);
  await disk.bindClusterKey(deriveDiskKey(request.masterSecret, diskUuid), {
    measurementSalt: request.measurementSalt,
    clusterId,
  });
  progress('measurement', 'extending PCR 15 with the cluster measurement');
  await lock.measureCluster(clusterId);
  return {
    kubeconfig: kubernetes.kubeconfig,
    clusterId,
    ownerId: deriveDataKey(request.masterSecret, OWNER_ID_KEY, 32),
    nodeName: node.name,
  };
}
