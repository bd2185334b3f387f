// Node side of the join protocol (agents/joinservice/README.md): attest the JoinService, prove the AK by
// credential activation, quote bound to the request, receive the ticket sealed to a fresh ECDH key. Each
// attempt re-dials and re-attests, so a JoinService restart costs a retry, never trust in a new key.
import { generateKeyPairSync } from 'node:crypto';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ConstellationError, invalidArgument } from '../errors.js';
import { connectAttested, openSealed, ATLS_UNREACHABLE, type DocumentCheck } from '../atls/index.js';
import { issueQemuVtpmEvidence } from '../attestation/issuers/qemu-vtpm-issuer.js';
import { JOIN_MAX_MESSAGE_BYTES, retryWithBackoff } from '../rpc/index.js';
import {
  JoinServiceClient,
  JoinTicket,
  type GetChallengeResponse,
  type IssueJoinTicketRequest,
  type IssueJoinTicketResponse,
} from '../../proto/gen/join.js';
import type { Tpm } from '../../native/tpm.js';
import { joinRequestDigest } from './request-digest.js';
import { callUnary, JOIN_REJECTED } from './unary-call.js';

export type JoiningTpm = Pick<
  Tpm,
  'createEk' | 'createAk' | 'readEkCertificate' | 'activateCredential' | 'quote' | 'pcrRead' | 'flush'
>;

export type NodeRole = 'worker' | 'control-plane';

export interface JoinClusterOptions {
  readonly tpm: JoiningTpm;
  /** JoinService "host:port". */
  readonly address: string;
  /** The node's check of the JoinService's evidence (same measured image, EK chaining to trusted roots). */
  readonly verifyService: DocumentCheck;
  readonly diskUuid: string;
  readonly nodeName: string;
  readonly certificateRequest?: Buffer;
  readonly retry?: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
  readonly signal?: AbortSignal;
  readonly eventLogPath?: string;
  /** Called before each attempt (for logs and tests). */
  readonly onAttempt?: (attempt: number, previousError: unknown) => void;
}

export type JoinResult = { readonly role: NodeRole; readonly ticket: JoinTicket };

export const DEFAULT_JOIN_RETRY = { attempts: 10, baseMs: 200, maxMs: 5000 } as const;

/** Transient failures: the service is down, restarting, or forgot our challenge (its key changed). */
export function isRetryableJoinError(error: unknown): boolean {
  if (!(error instanceof ConstellationError)) return false;
  if (error.code === ATLS_UNREACHABLE) return true;
  const cause: unknown = error.cause;
  if (error.code === 'ATLS_SERVER_NOT_ATTESTED') return isTransientStatus(cause);
  if (error.code === JOIN_REJECTED) {
    const grpcError = cause as Partial<ServiceError> | undefined;
    if (isTransientStatus(cause)) return true;
    return grpcError?.code === status.UNAUTHENTICATED && /^CHALLENGE_(INVALID|EXPIRED)/.test(grpcError.details ?? '');
  }
  return false;
}

function isTransientStatus(cause: unknown): boolean {
  const code = (cause as Partial<ServiceError> | undefined)?.code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.CANCELLED;
}

/** Joins (or, with `rejoin`, re-joins) the cluster; throws the last error when retries are exhausted. */
export async function joinCluster(options: JoinClusterOptions): Promise<JoinResult> {
  if (!/^[0-9a-f-]{36}$/i.test(options.diskUuid)) throw invalidArgument('diskUuid', 'a UUID', options.diskUuid);
  let previous: unknown;
  return retryWithBackoff(
    async (attempt) => {
      options.onAttempt?.(attempt, previous);
      try {
        return await joinOnce(options);
      } catch (error) {
        previous = error;
        throw error;
      }
    },
    {
      ...(options.retry ?? DEFAULT_JOIN_RETRY),
      retryable: isRetryableJoinError,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
}

async function joinOnce(options: JoinClusterOptions): Promise<JoinResult> {
  const { tpm } = options;
  const connection = await connectAttested({ address: options.address, verify: options.verifyService });
  const client = new JoinServiceClient(connection.target, connection.credentials, {
    'grpc.max_receive_message_length': JOIN_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': JOIN_MAX_MESSAGE_BYTES,
  });
  const ek = await tpm.createEk('rsa');
  const ak = await tpm.createAk('ecc');
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
    const nodePublicKey = nodeKeys.publicKey.export({ type: 'spki', format: 'der' });
    const fields = {
      nodePublicKey,
      diskUuid: options.diskUuid.toLowerCase(),
      nodeName: options.nodeName,
      certificateRequest: options.certificateRequest ?? Buffer.alloc(0),
    };
    const digest = joinRequestDigest(fields);
    const { document } = await issueQemuVtpmEvidence({
      tpm,
      nonce: secret,
      binding: digest,
      ak,
      ...(options.eventLogPath === undefined ? {} : { eventLogPath: options.eventLogPath }),
    });
    const request: IssueJoinTicketRequest = {
      challengeId: challenge.challengeId,
      activatedSecret: secret,
      evidence: document,
      ...fields,
    };
    const response = await callUnary<IssueJoinTicketResponse>('IssueJoinTicket', (cb) =>
      client.issueJoinTicket(request, cb),
    );
    const ticket = JoinTicket.decode(openSealed(nodeKeys.privateKey, response.sealedTicket, digest));
    return { role: response.role === 'control-plane' ? 'control-plane' : 'worker', ticket };
  } finally {
    client.close();
    await tpm.flush(ak);
    await tpm.flush(ek);
  }
}
