// The JoinService gRPC server: JoinService and Attester on one attested TLS identity, so a node verifies
// the very key it then sends its request to. Request sizes are limited per method by our own code
// (withMessageLimits), so an oversized request is refused with RESOURCE_EXHAUSTED "MESSAGE_TOO_LARGE" AND
// audited; grpc-js's own limit (JOIN_BACKSTOP_MESSAGE_BYTES, 4 MiB) stays above as a memory backstop whose
// refusals no handler sees (unaudited).
import type { Server } from '@grpc/grpc-js';
import {
  attesterService,
  serverCredentials,
  type AttestedIdentity,
  type CredentialActivator,
  type EvidenceIssuer,
} from '../../lib/atls/index.js';
import {
  bindServer,
  createServer,
  JOIN_BACKSTOP_MESSAGE_BYTES,
  JOIN_MAX_MESSAGE_BYTES,
  observeOversized,
  shutdownServer,
  unaryHandler,
  withMessageLimits,
} from '../../lib/rpc/index.js';
import { AttesterService, type AttesterServer } from '../../proto/gen/atls.js';
import { JoinServiceService, type JoinServiceServer } from '../../proto/gen/join.js';
import type { JoinProtocol } from './join-protocol.js';
import { MAX_AK_PUBLIC_BYTES, MAX_EK_CERTIFICATE_BYTES } from './request-checks.js';

/** GetChallenge carries an EK certificate and an AK public: a few KiB. */
export const GET_CHALLENGE_MAX_BYTES = 4 * (MAX_EK_CERTIFICATE_BYTES + MAX_AK_PUBLIC_BYTES);
/** Attester requests are a nonce (or a credential blob and an encrypted seed): small. */
export const ATTESTER_MAX_BYTES = 16 * 1024;

export interface JoinServerOptions {
  readonly protocol: JoinProtocol;
  readonly identity: AttestedIdentity;
  /** Evidence of this service's own TPM for the Attester service. */
  readonly issueEvidence: EvidenceIssuer;
  /** Attester.ActivateCredential for the AK the evidence is quoted by, so nodes can prove that AK. */
  readonly activate?: CredentialActivator;
  /** e.g. "127.0.0.1:0". */
  readonly address: string;
  /** Audited limit of IssueJoinTicket, IssueRejoinTicket and UpdatePolicy requests (default 1 MiB). */
  readonly maxMessageBytes?: number;
}

export interface RunningJoinServer {
  readonly server: Server;
  readonly port: number;
  close(deadlineMs?: number): Promise<void>;
}

export function joinServiceHandlers(protocol: JoinProtocol): JoinServiceServer {
  return {
    getChallenge: unaryHandler((request) => protocol.getChallenge(request)),
    issueJoinTicket: unaryHandler((request) => protocol.issueJoinTicket(request)),
    issueRejoinTicket: unaryHandler((request) => protocol.issueRejoinTicket(request)),
    updatePolicy: unaryHandler((request) => protocol.updatePolicy(request)),
  };
}

export async function startJoinServer(options: JoinServerOptions): Promise<RunningJoinServer> {
  const limit = options.maxMessageBytes ?? JOIN_MAX_MESSAGE_BYTES;
  const audit = (error: Parameters<JoinProtocol['refusedOversized']>[0]): void => {
    options.protocol.refusedOversized(error);
  };
  const server = createServer({ maxMessageBytes: Math.max(JOIN_BACKSTOP_MESSAGE_BYTES, limit) });
  server.addService(
    withMessageLimits(JoinServiceService, {
      defaultBytes: limit,
      perMethod: { getChallenge: Math.min(limit, GET_CHALLENGE_MAX_BYTES) },
    }),
    observeOversized(joinServiceHandlers(options.protocol), audit),
  );
  server.addService(
    withMessageLimits(AttesterService, { defaultBytes: ATTESTER_MAX_BYTES }),
    observeOversized<AttesterServer>(
      attesterService(
        options.issueEvidence,
        options.identity,
        options.activate === undefined ? {} : { activate: options.activate },
      ),
      audit,
    ),
  );
  const port = await bindServer(server, options.address, serverCredentials(options.identity));
  return { server, port, close: (deadlineMs) => shutdownServer(server, deadlineMs) };
}
