// The JoinService gRPC server: JoinService and Attester on one attested TLS identity, so a node verifies
// the very key it then sends its request to. Messages above 1 MiB are refused by grpc-js itself
// (RESOURCE_EXHAUSTED) before any handler runs.
import type { Server } from '@grpc/grpc-js';
import {
  attesterService,
  serverCredentials,
  type AttestedIdentity,
  type EvidenceIssuer,
} from '../../lib/atls/index.js';
import { bindServer, createServer, JOIN_MAX_MESSAGE_BYTES, shutdownServer, unaryHandler } from '../../lib/rpc/index.js';
import { AttesterService } from '../../proto/gen/atls.js';
import { JoinServiceService, type JoinServiceServer } from '../../proto/gen/join.js';
import type { JoinProtocol } from './join-protocol.js';

export interface JoinServerOptions {
  readonly protocol: JoinProtocol;
  readonly identity: AttestedIdentity;
  /** Evidence of this service's own TPM for the Attester service. */
  readonly issueEvidence: EvidenceIssuer;
  /** e.g. "127.0.0.1:0". */
  readonly address: string;
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
  const server = createServer({ maxMessageBytes: options.maxMessageBytes ?? JOIN_MAX_MESSAGE_BYTES });
  server.addService(JoinServiceService, joinServiceHandlers(options.protocol));
  server.addService(AttesterService, attesterService(options.issueEvidence, options.identity));
  const port = await bindServer(server, options.address, serverCredentials(options.identity));
  return { server, port, close: (deadlineMs) => shutdownServer(server, deadlineMs) };
}
