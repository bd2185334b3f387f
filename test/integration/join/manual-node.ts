// Step-by-step join for attack tests: each step is exposed so a test can replay, relay or swap parts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { connectAttested } from '../../../lib/atls/index.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { joinRequestDigest } from '../../../lib/join/request-digest.js';
import { callUnary } from '../../../lib/join/unary-call.js';
import {
  JoinServiceClient,
  type GetChallengeResponse,
  type IssueJoinTicketRequest,
  type IssueJoinTicketResponse,
  type IssueRejoinTicketResponse,
  type UpdatePolicyRequest,
  type UpdatePolicyResponse,
} from '../../../proto/gen/join.js';
import type { KeyHandle, Tpm } from '../../../native/tpm.js';
import type { DocumentCheck } from '../../../lib/atls/index.js';
import { NO_EVENT_LOG } from './service-fixture.js';

export interface ManualNode {
  readonly client: JoinServiceClient;
  readonly ek: KeyHandle;
  readonly ak: KeyHandle;
  readonly ekCertificate: Buffer;
  challenge(akPublic?: Buffer): Promise<GetChallengeResponse>;
  activate(challenge: GetChallengeResponse): Promise<Buffer>;
  /** A complete request for `secret`, evidence quoted by this node's AK and bound to the request fields. */
  request(
    challenge: GetChallengeResponse,
    secret: Buffer,
    fields?: { readonly nodeKey?: KeyObject; readonly diskUuid?: string; readonly nodeName?: string },
  ): Promise<{ request: IssueJoinTicketRequest; privateKey: KeyObject; digest: Buffer }>;
  issue(request: IssueJoinTicketRequest): Promise<IssueJoinTicketResponse>;
  rejoin(request: IssueJoinTicketRequest): Promise<IssueRejoinTicketResponse>;
  updatePolicy(request: UpdatePolicyRequest): Promise<UpdatePolicyResponse>;
  /** Closes the channel and flushes the EK and AK. */
  close(): Promise<void>;
}

export async function manualNode(
  tpm: Pick<Tpm, 'createEk' | 'createAk' | 'readEkCertificate' | 'activateCredential' | 'quote' | 'pcrRead' | 'flush'>,
  address: string,
  verify: DocumentCheck,
): Promise<ManualNode> {
  const connection = await connectAttested({ address, verify });
  const client = new JoinServiceClient(connection.target, connection.credentials, {
    'grpc.max_send_message_length': 8 * 1024 * 1024,
  });
  const ek = await tpm.createEk('rsa');
  const ak = await tpm.createAk('ecc');
  const ekCertificate = (await tpm.readEkCertificate('rsa')) ?? Buffer.alloc(0);
  let closed = false;
  return {
    client,
    ek,
    ak,
    ekCertificate,
    challenge: (akPublic = ak.public) =>
      callUnary<GetChallengeResponse>('GetChallenge', (cb) =>
        client.getChallenge({ ekCertificate, akPublic, variant: 'qemu-vtpm' }, cb),
      ),
    activate: (challenge) => tpm.activateCredential(ak, ek, challenge.credentialBlob, challenge.encryptedSecret),
    async request(challenge, secret, fields = {}) {
      const keys = fields.nodeKey === undefined ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : undefined;
      const nodeKey = fields.nodeKey ?? keys!.publicKey;
      const requestFields = {
        nodePublicKey: nodeKey.export({ type: 'spki', format: 'der' }),
        diskUuid: fields.diskUuid ?? '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
        nodeName: fields.nodeName ?? 'node-0',
        certificateRequest: Buffer.alloc(0),
      };
      const digest = joinRequestDigest(requestFields);
      const { document } = await issueQemuVtpmEvidence({
        tpm,
        nonce: secret,
        binding: digest,
        ak,
        eventLogPath: NO_EVENT_LOG,
      });
      return {
        request: { challengeId: challenge.challengeId, activatedSecret: secret, evidence: document, ...requestFields },
        privateKey: keys?.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        digest,
      };
    },
    issue: (request) =>
      callUnary<IssueJoinTicketResponse>('IssueJoinTicket', (cb) => client.issueJoinTicket(request, cb)),
    rejoin: (request) =>
      callUnary<IssueRejoinTicketResponse>('IssueRejoinTicket', (cb) => client.issueRejoinTicket(request, cb)),
    updatePolicy: (request) =>
      callUnary<UpdatePolicyResponse>('UpdatePolicy', (cb) => client.updatePolicy(request, cb)),
    async close() {
      if (closed) return;
      closed = true;
      client.close();
      await tpm.flush(ak);
      await tpm.flush(ek);
    },
  };
}
