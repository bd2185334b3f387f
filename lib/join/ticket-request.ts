// One round of the join protocol against one JoinService address (agents/joinservice/README.md): attest the
// service (its AK proven by activation when the check asks for it), GetChallenge, activate, quote bound to
// the request, and open the ticket sealed to a fresh ECDH key. Join and rejoin differ only in the last RPC.
import { generateKeyPairSync } from 'node:crypto';
import { ConstellationError } from '../errors.js';
import { connectAttested, openSealed, type DocumentCheck } from '../atls/index.js';
import type { VerifiedMachineState } from '../attestation/verify/machine-state.js';
import { issueQemuVtpmEvidence } from '../attestation/issuers/qemu-vtpm-issuer.js';
import { JOIN_MAX_MESSAGE_BYTES } from '../rpc/index.js';
import {
  JoinServiceClient,
  type GetChallengeResponse,
  type IssueJoinTicketRequest,
  type IssueJoinTicketResponse,
  type IssueRejoinTicketResponse,
} from '../../proto/gen/join.js';
import type { KeyHandle, Tpm } from '../../native/tpm.js';
import { joinRequestDigest } from './request-digest.js';
import { callUnary } from './unary-call.js';

export type JoiningTpm = Pick<
  Tpm,
  'createEk' | 'createAk' | 'readEkCertificate' | 'activateCredential' | 'quote' | 'pcrRead' | 'flush'
>;

/**
 * The node's check of a JoinService. A check that returns the verified state lets the caller compare the
 * service's PCR 15 with the ticket's cluster; one that returns nothing (the deprecated pinned check, test
 * stubs) skips that comparison.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- plain `async () => {}` stubs are checks too
export type JoinServiceVerifier = DocumentCheck<VerifiedMachineState | undefined | void>;

export interface TicketRequest {
  readonly tpm: JoiningTpm;
  readonly address: string;
  readonly verifyService: JoinServiceVerifier;
  readonly diskUuid: string;
  readonly nodeName: string;
  readonly certificateRequest?: Buffer;
  readonly eventLogPath?: string;
  /**
   * The node's loaded AK (ECC) and EK (RSA), lent by a caller that keeps them for its other services: a TPM has
   * few transient object slots (swtpm: 3), so a node loads one pair and shares it. Lent keys are not flushed.
   */
  readonly keys?: NodeKeys;
}

export interface NodeKeys {
  readonly ak: KeyHandle;
  readonly ek: KeyHandle;
}

export interface OpenedTicket {
  /** Decrypted JoinTicket or RejoinTicket bytes: secret, never logged. */
  readonly plaintext: Buffer;
  /** Role the service assigned (join only). */
  readonly role: string;
  /** What verifyService returned for this service. */
  readonly service: VerifiedMachineState | undefined;
}

export async function requestTicket(request: TicketRequest, kind: 'join' | 'rejoin'): Promise<OpenedTicket> {
  const { tpm } = request;
  const connection = await connectAttested({ address: request.address, verify: request.verifyService });
  const client = new JoinServiceClient(connection.target, connection.credentials, {
    ...connection.channelOptions,
    'grpc.max_receive_message_length': JOIN_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': JOIN_MAX_MESSAGE_BYTES,
  });
  const lent = request.keys;
  const ek = lent?.ek ?? (await tpm.createEk('rsa'));
  const ak = lent?.ak ?? (await tpm.createAk('ecc'));
  try {
    const ekCertificate = await tpm.readEkCertificate('rsa');
    if (ekCertificate === undefined) {
      throw new ConstellationError('EK_CERTIFICATE_MISSING', 'Expected an RSA EK certificate in the TPM, found none');
    }
    const challenge = await callUnary<GetChallengeResponse>('GetChallenge', (cb) =>
      client.getChallenge({ ekCertificate, akPublic: ak.public, variant: 'qemu-vtpm' }, cb),
    );
    const secret = await tpm.activateCredential(ak, ek, challenge.credentialBlob, challenge.encryptedSecret);
    // A fresh ECDH key per attempt: the ticket is sealed to it and it never leaves this process.
    const nodeKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fields = {
      nodePublicKey: nodeKeys.publicKey.export({ type: 'spki', format: 'der' }),
      diskUuid: request.diskUuid.toLowerCase(),
      nodeName: request.nodeName,
      certificateRequest: request.certificateRequest ?? Buffer.alloc(0),
    };
    const digest = joinRequestDigest(fields);
    const { document } = await issueQemuVtpmEvidence({
      tpm,
      nonce: secret,
      binding: digest,
      ak,
      ...(request.eventLogPath === undefined ? {} : { eventLogPath: request.eventLogPath }),
    });
    const message: IssueJoinTicketRequest = {
      challengeId: challenge.challengeId,
      activatedSecret: secret,
      evidence: document,
      ...fields,
    };
    const { sealedTicket, role } =
      kind === 'join'
        ? await callUnary<IssueJoinTicketResponse>('IssueJoinTicket', (cb) => client.issueJoinTicket(message, cb))
        : {
            ...(await callUnary<IssueRejoinTicketResponse>('IssueRejoinTicket', (cb) =>
              client.issueRejoinTicket(message, cb),
            )),
            role: '',
          };
    const plaintext = openSealed(nodeKeys.privateKey, Buffer.from(sealedTicket), digest);
    return { plaintext, role, service: connection.verified ?? undefined };
  } finally {
    client.close();
    if (lent === undefined) {
      await tpm.flush(ak);
      await tpm.flush(ek);
    }
  }
}
