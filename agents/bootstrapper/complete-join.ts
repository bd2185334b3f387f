// What a fresh node does with a join ticket once it holds the node lock: the same order as Init (write the
// node state and join Kubernetes on the still pending disk, then bind the disk and extend PCR 15 last), so a
// failure or a kill leaves a resettable node. The ticket
// is checked first: the cluster id must follow from the measurement secret and salt it carries, and the salt must
// be 32 bytes, or this node could never come back after a reboot (§11 item 16).
import { timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../lib/errors.js';
import { deriveClusterId } from '../../lib/crypto/index.js';
import type { JoinTicket } from '../../proto/gen/join.js';
import type { NodeLockHolder } from './node-lock.js';
import { MEASUREMENT_SALT_LENGTH, writeNodeState } from './node-state.js';
import type { KubernetesLayer, NodeMetadata, NodeRole, StateDisk } from './ports.js';

export const JOIN_TICKET_INVALID = 'JOIN_TICKET_INVALID';

export interface CompleteJoinDeps {
  readonly disk: Pick<StateDisk, 'bindClusterKey' | 'mountPoint'>;
  readonly diskUuid: string;
  readonly node: NodeMetadata;
  readonly kubernetes: Pick<KubernetesLayer, 'joinCluster'>;
}

function invalid(field: string, expected: string, found: string): VerificationError {
  return new VerificationError(JOIN_TICKET_INVALID, `join ticket ${field}: expected ${expected}, found ${found}`);
}

export async function completeJoin(
  ticket: JoinTicket,
  role: NodeRole,
  lock: NodeLockHolder,
  deps: CompleteJoinDeps,
): Promise<{ clusterId: Buffer }> {
  const salt = Buffer.from(ticket.measurementSalt);
  if (salt.length !== MEASUREMENT_SALT_LENGTH) {
    throw invalid('measurement_salt', `${MEASUREMENT_SALT_LENGTH} bytes`, `${salt.length} bytes`);
  }
  if (ticket.stateDiskKey.length !== 32)
    throw invalid('state_disk_key', '32 bytes', `${ticket.stateDiskKey.length} bytes`);
  const clusterId = deriveClusterId(Buffer.from(ticket.measurementSecret), salt);
  const claimed = Buffer.from(ticket.clusterId);
  if (claimed.length !== clusterId.length || !timingSafeEqual(claimed, clusterId)) {
    throw invalid('cluster_id', 'HKDF(measurement secret, salt)', 'a different value');
  }
  await writeNodeState(deps.disk.mountPoint, { role, measurementSalt: salt, clusterId, diskUuid: deps.diskUuid });
  await deps.kubernetes.joinCluster({
    nodeName: deps.node.name,
    role,
    apiServerEndpoint: ticket.apiServerEndpoint,
    token: ticket.token,
    discoveryTokenCaCertHash: ticket.discoveryTokenCaCertHash,
    controlPlaneFiles: ticket.controlPlaneFiles.map((file) => ({ name: file.name, data: Buffer.from(file.data) })),
  });
  await deps.disk.bindClusterKey(Buffer.from(ticket.stateDiskKey), { measurementSalt: salt, clusterId });
  await lock.measureCluster(clusterId);
  return { clusterId };
}
