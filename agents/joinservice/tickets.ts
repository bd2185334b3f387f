// Assembles the secrets a node receives. Control-plane files only for control-plane nodes; the result is
// the protobuf plaintext that the caller seals to the node's key immediately.
import { DISK_KEY_LENGTH } from '../../lib/crypto/index.js';
import { JoinTicket, RejoinTicket } from '../../proto/gen/join.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import type { ClusterMaterial, KeySource } from './ports.js';

export type NodeRole = 'worker' | 'control-plane';

export async function buildJoinTicket(input: {
  readonly keys: KeySource;
  readonly secrets: ClusterSecrets;
  readonly cluster: ClusterMaterial;
  readonly diskUuid: string;
  readonly role: NodeRole;
}): Promise<Buffer> {
  const { keys, secrets, cluster, diskUuid, role } = input;
  const [stateDiskKey, { measurementSecret, clusterId }] = await Promise.all([
    keys.getDataKey(diskUuid.toLowerCase(), DISK_KEY_LENGTH),
    secrets.measurement(),
  ]);
  const ticket: JoinTicket = {
    stateDiskKey,
    measurementSalt: cluster.measurementSalt,
    measurementSecret,
    clusterId,
    apiServerEndpoint: cluster.apiServerEndpoint,
    token: cluster.token,
    discoveryTokenCaCertHash: cluster.discoveryTokenCaCertHash,
    // Encoding only reads the files: no copy needed.
    controlPlaneFiles: role === 'control-plane' ? [...cluster.controlPlane.files] : [],
    // Kubelet certificate signing needs the cluster CA, which arrives with the Bootstrapper (next issue).
    kubeletCert: Buffer.alloc(0),
  };
  return Buffer.from(JoinTicket.encode(ticket).finish());
}

export async function buildRejoinTicket(input: {
  readonly keys: KeySource;
  readonly secrets: ClusterSecrets;
  readonly diskUuid: string;
}): Promise<Buffer> {
  const [stateDiskKey, { measurementSecret }] = await Promise.all([
    input.keys.getDataKey(input.diskUuid.toLowerCase(), DISK_KEY_LENGTH),
    input.secrets.measurement(),
  ]);
  return Buffer.from(RejoinTicket.encode({ stateDiskKey, measurementSecret }).finish());
}
