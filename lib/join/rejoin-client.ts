// A node that restarts with an initialised state disk asks for its disk key again (IssueRejoinTicket). The
// rejoin ticket carries no cluster id, so the node recomputes it from the measurement secret and the salt it
// stored at join: the JoinService's PCR 15 must be that cluster's measurement, or the ticket is refused.
import { deriveClusterId } from '../crypto/index.js';
import { invalidArgument } from '../errors.js';
import { RejoinTicket } from '../../proto/gen/join.js';
import type { VerifiedMachineState } from '../attestation/verify/machine-state.js';
import { checkServiceCluster } from './cluster-check.js';
import { checkDiskUuid, serviceRounds, ticketFields, type JoinTargets } from './join-client.js';
import { eachServiceUntilAdmitted, type JoinRetry } from './join-retry.js';
import { requestTicket, type JoiningTpm, type NodeKeys } from './ticket-request.js';
import type { DocumentCheck } from '../atls/index.js';

export type RejoinClusterOptions = JoinTargets & {
  readonly tpm: JoiningTpm;
  /** joinServiceCheck({…}): must return the verified state (the cluster comparison is not optional here). */
  readonly verifyService: DocumentCheck<VerifiedMachineState>;
  readonly diskUuid: string;
  readonly nodeName: string;
  /** The cluster's measurement salt the node stored at join (node-state.json). */
  readonly measurementSalt: Buffer;
  readonly retry?: JoinRetry;
  readonly signal?: AbortSignal;
  readonly eventLogPath?: string;
  /** The node's loaded AK and EK (ticket-request.ts). */
  readonly keys?: NodeKeys;
  readonly onAttempt?: (attempt: number, previousError: unknown) => void;
};

export interface RejoinResult {
  /** Secret: opens the node's state disk. */
  readonly stateDiskKey: Buffer;
  /** Secret: the node derives its cluster id from it and extends PCR 15. */
  readonly measurementSecret: Buffer;
  /** deriveClusterId(measurementSecret, measurementSalt); the service's PCR 15 matched it. */
  readonly clusterId: Buffer;
}

/** Like joinCluster, through IssueRejoinTicket; throws VerificationError JOIN_SERVICE_WRONG_CLUSTER et al. */
export async function rejoinCluster(options: RejoinClusterOptions): Promise<RejoinResult> {
  checkDiskUuid(options.diskUuid);
  if (!Buffer.isBuffer(options.measurementSalt) || options.measurementSalt.length === 0) {
    throw invalidArgument('measurementSalt', 'the non-empty salt stored at join', options.measurementSalt);
  }
  return eachServiceUntilAdmitted(serviceRounds(options), async (address) => {
    const opened = await requestTicket({ ...ticketFields(options), address }, 'rejoin');
    const ticket = RejoinTicket.decode(opened.plaintext);
    opened.plaintext.fill(0);
    const stateDiskKey = Buffer.from(ticket.stateDiskKey);
    const measurementSecret = Buffer.from(ticket.measurementSecret);
    ticket.stateDiskKey.fill(0);
    ticket.measurementSecret.fill(0);
    try {
      if (opened.service === undefined) {
        throw invalidArgument('verifyService', 'a check returning the verified JoinService state', undefined);
      }
      const clusterId = deriveClusterId(measurementSecret, options.measurementSalt);
      checkServiceCluster(opened.service, clusterId);
      return { stateDiskKey, measurementSecret, clusterId };
    } catch (error) {
      stateDiskKey.fill(0);
      measurementSecret.fill(0);
      throw error;
    }
  });
}
