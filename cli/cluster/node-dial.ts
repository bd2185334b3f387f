// Dials a node's attested server (Init, Recover): pins its TLS key, proves its AK by credential activation,
// verifies its evidence under the node trust and enforces the policy. Only then may secrets go to it.
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  ATLS_UNREACHABLE,
  connectAttested,
  type AttestationProof,
  type AttestedConnection,
  type DocumentCheck,
} from '../../lib/atls/index.js';
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { enforcePolicy } from '../../lib/attestation/policy-result.js';
import { ConstellationError, PolicyError, VerificationError } from '../../lib/errors.js';
import { retryWithBackoff } from '../../lib/rpc/retry.js';
import { NODE_ERROR_CODES, NodeRefusedError, NodeUnreachableError } from '../node-errors.js';
import { checkNodeDocument, type CheckedNode, type NodeTrust } from './node-trust.js';

/** The check connectAttested runs: AK activation first (requiresAkProof), then evidence and policy. */
export function attestedNodeCheck(trust: NodeTrust, subject: string): DocumentCheck<CheckedNode> {
  const check = async (
    document: AttestationDocument,
    qualifyingData: Buffer,
    proof: AttestationProof,
  ): Promise<CheckedNode> => {
    if (proof.activation === undefined) {
      throw new VerificationError(
        'AK_NOT_PROVEN',
        `Expected ${subject}'s AK proven by credential activation, found no proof`,
      );
    }
    const checked = await checkNodeDocument(trust, document, { qualifyingData }, proof.activation);
    enforcePolicy(checked.result, subject);
    return checked;
  };
  return Object.assign(check, { requiresAkProof: true as const });
}

export interface DialOptions {
  /** "ip:port" */
  readonly address: string;
  readonly trust: NodeTrust;
  /** How the node is named in messages, e.g. "the init node 127.42.0.11:9000". */
  readonly subject: string;
  /** Keep trying while nothing listens, until this many ms have passed. 0 = one attempt. */
  readonly waitMs: number;
  readonly signal?: AbortSignal;
  /** Told before each retry. */
  readonly onWaiting?: (attempt: number) => void;
}

/**
 * Connects and attests. While nothing listens (the node is still booting) it retries with backoff until
 * `waitMs`; then NodeUnreachableError NODE_UNREACHABLE. A node whose evidence the policy rejects gives the
 * PolicyError itself (exit 4, every violation listed); broken evidence a VerificationError (exit 3).
 */
export async function dialAttestedNode(options: DialOptions): Promise<AttestedConnection<CheckedNode>> {
  const deadline = Date.now() + options.waitMs;
  const verify = attestedNodeCheck(options.trust, options.subject);
  try {
    return await retryWithBackoff(
      async (attempt) => {
        if (attempt > 1) options.onWaiting?.(attempt);
        return connectAttested({ address: options.address, verify, timeoutMs: 10_000 });
      },
      {
        attempts: Number.MAX_SAFE_INTEGER,
        baseMs: 250,
        maxMs: 2_000,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        retryable: (error) => isUnreachable(error) && Date.now() < deadline,
      },
    );
  } catch (error) {
    if (isUnreachable(error)) {
      const waited = options.waitMs > 0 ? ` within ${Math.round(options.waitMs / 1000)} s` : '';
      throw new NodeUnreachableError(
        NODE_ERROR_CODES.NODE_UNREACHABLE,
        `Expected ${options.subject} to answer${waited}, found nothing listening (${(error as Error).message}); check that the node is running and the address is right`,
        { cause: error },
      );
    }
    // connectAttested wraps the check's refusal; a policy rejection keeps its own class and violations.
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof PolicyError) throw cause;
    throw error;
  }
}

function isUnreachable(error: unknown): boolean {
  return error instanceof ConstellationError && error.code === ATLS_UNREACHABLE;
}

/** The node's error code from a gRPC status ("CODE: message" details, as lib/rpc statusFor writes them). */
export function nodeErrorOf(error: ServiceError, subject: string): ConstellationError {
  const match = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(error.details);
  const code = match?.[1] ?? status[error.code];
  const message = match?.[2] ?? error.details;
  if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED) {
    return new NodeUnreachableError(
      NODE_ERROR_CODES.NODE_UNREACHABLE,
      `Expected an answer from ${subject}, found the connection lost (${status[error.code]}: ${message})`,
      { cause: error },
    );
  }
  if (
    error.code === status.PERMISSION_DENIED ||
    error.code === status.FAILED_PRECONDITION ||
    error.code === status.ALREADY_EXISTS ||
    error.code === status.UNAUTHENTICATED ||
    error.code === status.INVALID_ARGUMENT ||
    error.code === status.RESOURCE_EXHAUSTED
  ) {
    return new NodeRefusedError(code, `${subject} refused: ${message}`, { cause: error });
  }
  return new ConstellationError(code, `${subject} failed: ${message}`, { cause: error });
}
