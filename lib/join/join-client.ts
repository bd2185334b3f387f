// Node side of the join protocol (agents/joinservice/README.md, "Node side"). Each attempt tries every
// JoinService address in turn; each round re-dials and re-attests, so a JoinService restart costs a retry,
// never trust in a new key. The ticket is accepted only from a service of the ticket's own cluster.
import { invalidArgument } from '../errors.js';
import { JoinTicket } from '../../proto/gen/join.js';
import { checkServiceCluster } from './cluster-check.js';
import { eachServiceUntilAdmitted, type JoinRetry, type ServiceRoundsOptions } from './join-retry.js';
import {
  requestTicket,
  type JoiningTpm,
  type JoinServiceVerifier,
  type NodeKeys,
  type TicketRequest,
} from './ticket-request.js';

export type { JoiningTpm, JoinServiceVerifier } from './ticket-request.js';
export { DEFAULT_JOIN_RETRY, isRetryableJoinError } from './join-retry.js';

export type NodeRole = 'worker' | 'control-plane';

/** Where the JoinServices are: one `address` or a list of `addresses` ("host:port"), tried in order. */
export type JoinTargets =
  | { readonly address: string; readonly addresses?: never }
  | { readonly addresses: readonly string[]; readonly address?: never };

export type JoinClusterOptions = JoinTargets & {
  readonly tpm: JoiningTpm;
  /**
   * The node's check of each JoinService: joinServiceCheck({ekRoots, ownPcrs, …}) (same image, PCR 15 ≠ 0,
   * AK proven by activation, EK chain). When it returns the verified state, the service's PCR 15 must also
   * equal the measurement of the ticket's cluster.
   */
  readonly verifyService: JoinServiceVerifier;
  readonly diskUuid: string;
  readonly nodeName: string;
  readonly certificateRequest?: Buffer;
  readonly retry?: JoinRetry;
  /** Aborting stops the retry loop; a ticket that arrives after the abort is dropped. */
  readonly signal?: AbortSignal;
  readonly eventLogPath?: string;
  /** The node's loaded AK and EK to use instead of loading a pair per attempt (ticket-request.ts). */
  readonly keys?: NodeKeys;
  /** Called before each attempt (for logs and tests). */
  readonly onAttempt?: (attempt: number, previousError: unknown) => void;
};

export type JoinResult = { readonly role: NodeRole; readonly ticket: JoinTicket };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function addressesOf(targets: JoinTargets): readonly string[] {
  const addresses: readonly unknown[] = targets.addresses ?? [targets.address];
  if (addresses.length === 0 || !addresses.every((address) => typeof address === 'string' && address !== '')) {
    throw invalidArgument('addresses', 'at least one JoinService "host:port"', addresses);
  }
  return addresses as readonly string[];
}

/** The addresses and retry settings of a join or rejoin, for eachServiceUntilAdmitted. */
export function serviceRounds(
  options: JoinTargets & Pick<JoinClusterOptions, 'retry' | 'signal' | 'onAttempt'>,
): ServiceRoundsOptions {
  return {
    addresses: addressesOf(options),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
  };
}

export function checkDiskUuid(diskUuid: string): void {
  if (!UUID.test(diskUuid)) throw invalidArgument('diskUuid', 'a UUID', diskUuid);
}

/** Overwrites the ticket's secrets so a refused ticket does not linger in memory longer than needed. */
function discard(ticket: JoinTicket): void {
  ticket.stateDiskKey.fill(0);
  ticket.measurementSecret.fill(0);
  for (const file of ticket.controlPlaneFiles) file.data.fill(0);
}

/**
 * Joins the cluster through the first JoinService that admits this node. Throws the last error when retries
 * are exhausted or the failure is final: VerificationError JOIN_SERVICE_WRONG_CLUSTER, JoinRejectedError
 * JOIN_REJECTED, ATLS_SERVER_NOT_ATTESTED, JOIN_SERVICES_FAILED (several addresses), ABORTED.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<JoinResult> {
  checkDiskUuid(options.diskUuid);
  return eachServiceUntilAdmitted(serviceRounds(options), async (address) => {
    const opened = await requestTicket({ ...ticketFields(options), address }, 'join');
    const ticket = JoinTicket.decode(opened.plaintext);
    opened.plaintext.fill(0);
    if (opened.service !== undefined) {
      try {
        checkServiceCluster(opened.service, Buffer.from(ticket.clusterId));
      } catch (error) {
        discard(ticket);
        throw error;
      }
    }
    const role: NodeRole = opened.role === 'control-plane' ? 'control-plane' : 'worker';
    return { role, ticket };
  });
}

/** The ticket request's fields out of a join or rejoin's options (which carry more: retry, signal, …). */
export function ticketFields(options: Omit<TicketRequest, 'address'>): Omit<TicketRequest, 'address'> {
  return {
    tpm: options.tpm,
    verifyService: options.verifyService,
    diskUuid: options.diskUuid,
    nodeName: options.nodeName,
    ...(options.certificateRequest === undefined ? {} : { certificateRequest: options.certificateRequest }),
    ...(options.eventLogPath === undefined ? {} : { eventLogPath: options.eventLogPath }),
    ...(options.keys === undefined ? {} : { keys: options.keys }),
  };
}
