// Assembles the secrets a node receives. Control-plane files only for control-plane nodes; the result is
// the protobuf plaintext that the caller seals to the node's key immediately.
import { deriveClusterId, DISK_KEY_LENGTH, MEASUREMENT_SECRET_ID } from '../../lib/crypto/index.js';
import { JoinTicket, RejoinTicket } from '../../proto/gen/join.js';
import type { ClusterMaterial, KeySource } from './ports.js';

export type NodeRole = 'worker' | 'control-plane';

export const MEASUREMENT_SECRET_LENGTH = 32;

export async function buildJoinTicket(input: {
  readonly keys: KeySource;
  readonly cluster: ClusterMaterial;
  readonly diskUuid: string;
  readonly role: NodeRole;
}): Promise<Buffer> {
  const { keys, cluster, diskUuid, role } = input;
  const [stateDiskKey, measurementSecret] = await Promise.all([
    keys.getDataKey(diskUuid.toLowerCase(), DISK_KEY_LENGTH),
    keys.getDataKey(MEASUREMENT_SECRET_ID, MEASUREMENT_SECRET_LENGTH),
  ]);
  const ticket: JoinTicket = {
    stateDiskKey,
    measurementSalt: cluster.measurementSalt,
    measurementSecret,
    clusterId: deriveClusterId(measurementSecret, cluster.measurementSalt),
    apiServerEndpoint: cluster.apiServerEndpoint,
    token: cluster.token,
    discoveryTokenCaCertHash: cluster.discoveryTokenCaCertHash,
    controlPlaneFiles: role === 'control-plane' ? cluster.controlPlane.files.map((f) => ({ ...f })) : [],
    // Kubelet certificate signing needs the cluster CA, which arrives with the Bootstrapper (next issue).
    kubeletCert: Buffer.alloc(0),
  };
  return Buffer.from(JoinTicket.encode(ticket).finish());
}

export async function buildRejoinTicket(input: {
  readonly keys: KeySource;
  readonly diskUuid: string;
}): Promise<Buffer> {
  const [stateDiskKey, measurementSecret] = await Promise.all([
    input.keys.getDataKey(input.diskUuid.toLowerCase(), DISK_KEY_LENGTH),
    input.keys.getDataKey(MEASUREMENT_SECRET_ID, MEASUREMENT_SECRET_LENGTH),
  ]);
  return Buffer.from(RejoinTicket.encode({ stateDiskKey, measurementSecret }).finish());
}
