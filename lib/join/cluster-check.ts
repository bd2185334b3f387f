// After opening a ticket the node knows which cluster it was admitted to; the JoinService it talked to must
// belong to exactly that cluster: its quoted PCR 15 must be clusterMeasurement(cluster id). Otherwise a
// service of ANOTHER cluster (same image, genuine TPM, initialised) handed out its own secrets and the node
// would join the wrong cluster.
import { timingSafeEqual } from 'node:crypto';
import { clusterMeasurement } from '../crypto/index.js';
import { VerificationError } from '../errors.js';
import { shortHex } from '../hex.js';
import type { VerifiedMachineState } from '../attestation/verify/machine-state.js';
import { CLUSTER_PCR } from './service-check.js';

export const JOIN_SERVICE_WRONG_CLUSTER = 'JOIN_SERVICE_WRONG_CLUSTER';

export function checkServiceCluster(service: VerifiedMachineState, clusterId: Buffer): void {
  const expected = clusterMeasurement(clusterId);
  const quoted = service.tpm?.pcrs.sha256?.[CLUSTER_PCR];
  if (quoted === undefined || quoted.length !== expected.length || !timingSafeEqual(quoted, expected)) {
    throw new VerificationError(
      JOIN_SERVICE_WRONG_CLUSTER,
      `Expected the JoinService's PCR[15] to be this cluster's measurement ${shortHex(expected)}, found ${quoted === undefined ? 'none' : shortHex(quoted)}: it belongs to another cluster`,
    );
  }
}
