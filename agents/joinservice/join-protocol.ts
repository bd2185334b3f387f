// The join protocol (README.md): GetChallenge anchors the AK in a certified EK by credential activation;
// IssueJoinTicket / IssueRejoinTicket verify the evidence against one policy snapshot and hand out secrets
// sealed to the node's key; UpdatePolicy swaps the policy after checking the admin signature. Pure
// request → response functions: no sockets, no global lock; every decision is audited.
import type { KeyObject } from 'node:crypto';
import { ConstellationError, PolicyError, VerificationError } from '../../lib/errors.js';
import { verifyEkCertificate, type TpmTrust } from '../../lib/attestation/verify/ak-trust.js';
import { verifyDocument } from '../../lib/attestation/verify/document-verifier.js';
import { evaluatePolicy } from '../../lib/attestation/policy/evaluate-policy.js';
import { enforcePolicy } from '../../lib/attestation/policy-result.js';
import { assertAttestationKey, makeCredential, objectName, parsePublic, publicFromKey } from '../../lib/tpm/index.js';
import { TPM_ALG } from '../../lib/tpm/tpm-constants.js';
import { challengeContext, joinRequestDigest } from '../../lib/join/request-digest.js';
import type {
  GetChallengeRequest,
  GetChallengeResponse,
  IssueJoinTicketRequest,
  IssueJoinTicketResponse,
  IssueRejoinTicketResponse,
  UpdatePolicyRequest,
  UpdatePolicyResponse,
} from '../../proto/gen/join.js';
import type { AuditCheck, AuditEntry, AuditSink } from './audit.js';
import type { JoinPolicy } from './join-policy.js';
import type { PolicyStore } from './policy-store.js';
import { checkBytes, checkJoinRequest, MAX_AK_PUBLIC_BYTES, MAX_EK_CERTIFICATE_BYTES } from './request-checks.js';
import type { ChallengeIssuer, ClusterMaterial, KeySource, Sealer } from './ports.js';
import { buildJoinTicket, buildRejoinTicket, type NodeRole } from './tickets.js';
import { cachedClusterSecrets } from './cluster-secrets.js';
import type { MessageTooLargeError } from '../../lib/rpc/index.js';

export interface JoinProtocolDeps {
  readonly policies: PolicyStore;
  readonly challenges: ChallengeIssuer;
  readonly seal: Sealer;
  readonly keys: KeySource;
  readonly cluster: ClusterMaterial;
  /** EK manufacturer roots (PEM) and intermediates. */
  readonly ekTrust: Pick<TpmTrust, 'ekRoots' | 'ekIntermediates'>;
  readonly audit: AuditSink;
  readonly now: () => Date;
}

export interface JoinProtocol {
  getChallenge(request: GetChallengeRequest): Promise<GetChallengeResponse>;
  issueJoinTicket(request: IssueJoinTicketRequest): Promise<IssueJoinTicketResponse>;
  issueRejoinTicket(request: IssueJoinTicketRequest): Promise<IssueRejoinTicketResponse>;
  updatePolicy(request: UpdatePolicyRequest): Promise<UpdatePolicyResponse>;
  /** Audits a request refused for its size before it was decoded (the server refuses it). */
  refusedOversized(error: MessageTooLargeError): void;
}

/** The standard TCG EK templates (RSA 2048 / NIST P-256): SHA-256 names, AES-128-CFB storage keys. */
function ekTpmPublic(key: KeyObject): ReturnType<typeof publicFromKey> {
  return publicFromKey(key, {
    scheme: null,
    symmetric: { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
  });
}

/** nameAlg of a TPMT_PUBLIC (after its u16 type); 0 (not a hash, so objectName refuses) if too short. */
function akNameAlg(akPublic: Buffer): number {
  return akPublic.length >= 4 ? akPublic.readUInt16BE(2) : 0;
}

/** Tracks which check a request is at, so a rejection names it in the audit line. */
class Stage {
  check: AuditCheck = 'request';
  node: string | undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof ConstellationError ? `${error.code}: ${error.message}` : 'internal error';
}

const AUDIT_METHODS: ReadonlySet<string> = new Set<AuditEntry['method']>([
  'GetChallenge',
  'IssueJoinTicket',
  'IssueRejoinTicket',
  'UpdatePolicy',
  'Attest',
  'ActivateCredential',
]);

/** "/pkg.Service/Method" → "Method" when it is one of ours (the server only hosts those). */
function auditMethodOf(path: string): AuditEntry['method'] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return AUDIT_METHODS.has(name) ? (name as AuditEntry['method']) : 'unknown';
}

function auditFields(stage: Stage): Pick<AuditEntry, 'node' | 'check'> {
  return stage.node === undefined ? { check: stage.check } : { node: stage.node, check: stage.check };
}

export function createJoinProtocol(deps: JoinProtocolDeps): JoinProtocol {
  const { policies, challenges, audit } = deps;
  const secrets = cachedClusterSecrets(deps.keys, deps.cluster.measurementSalt);

  async function admitted(
    request: IssueJoinTicketRequest,
    stage: Stage,
    policy: JoinPolicy,
  ): Promise<{ role: NodeRole; digest: Buffer; diskUuid: string }> {
    const checked = checkJoinRequest(request);
    stage.check = 'ek-certificate';
    const now = deps.now();
    const ek = verifyEkCertificate(
      checked.ekCertificate,
      { ...deps.ekTrust, ak: { mode: 'credential-activation' } },
      now,
    );
    stage.node = ek.fingerprint;
    stage.check = 'challenge';
    challenges.redeem(
      request.challengeId,
      challengeContext(checked.ekCertificate, checked.akPublic),
      request.activatedSecret,
    );
    stage.check = 'evidence';
    const digest = joinRequestDigest(request);
    // The challenge was issued (GetChallenge) only for these exact AK public bytes after they parsed and passed
    // assertAttestationKey, and verifyDocument parses them again as the quoting AK: the name is their hash.
    const akName = objectName({ nameAlg: akNameAlg(checked.akPublic), raw: checked.akPublic });
    const state = await verifyDocument(
      checked.evidence,
      {
        tpm: {
          ekRoots: deps.ekTrust.ekRoots,
          ...(deps.ekTrust.ekIntermediates === undefined ? {} : { ekIntermediates: deps.ekTrust.ekIntermediates }),
          ak: { mode: 'credential-activation', activated: { ekPublic: ek.public, akName } },
        },
      },
      { nonce: request.activatedSecret, binding: digest },
      now,
      { policy: policy.attestation },
    );
    stage.check = 'policy';
    enforcePolicy(evaluatePolicy(state, policy.attestation), `node ${ek.fingerprint.slice(0, 16)}`);
    stage.check = 'key-source';
    const role: NodeRole = policy.controlPlaneEks.has(ek.fingerprint) ? 'control-plane' : 'worker';
    return { role, digest, diskUuid: checked.diskUuid };
  }

  async function judged<T>(
    method: AuditEntry['method'],
    run: (stage: Stage, policy: JoinPolicy) => Promise<{ response: T; role?: NodeRole; policyVersion?: bigint }>,
  ): Promise<T> {
    // One snapshot per request: an update in flight cannot change the policy this request is judged by.
    const policy = policies.current();
    const stage = new Stage();
    try {
      const { response, role, policyVersion } = await run(stage, policy);
      audit({
        decision: 'admit',
        method,
        ...(stage.node === undefined ? {} : { node: stage.node }),
        ...(role === undefined ? {} : { role }),
        policyVersion: (policyVersion ?? policy.version).toString(),
      });
      return response;
    } catch (error) {
      audit({
        decision: 'reject',
        method,
        ...auditFields(stage),
        ...(error instanceof ConstellationError ? {} : { check: 'internal' as const }),
        reason: reasonOf(error),
        policyVersion: policy.version.toString(),
      });
      throw error;
    }
  }

  return {
    getChallenge: (request) =>
      judged('GetChallenge', (stage) => {
        checkBytes('ek_certificate', request.ekCertificate, 1, MAX_EK_CERTIFICATE_BYTES);
        checkBytes('ak_public', request.akPublic, 1, MAX_AK_PUBLIC_BYTES);
        stage.check = 'ek-certificate';
        const ek = verifyEkCertificate(
          request.ekCertificate,
          { ...deps.ekTrust, ak: { mode: 'credential-activation' } },
          deps.now(),
        );
        stage.node = ek.fingerprint;
        stage.check = 'attestation-key';
        const ak = parsePublic(request.akPublic);
        assertAttestationKey(ak);
        stage.check = 'challenge';
        const { id, secret } = challenges.issue(challengeContext(request.ekCertificate, request.akPublic));
        const made = makeCredential(ekTpmPublic(ek.public), objectName(ak), secret);
        return Promise.resolve({
          response: { challengeId: id, credentialBlob: made.credentialBlob, encryptedSecret: made.secret },
        });
      }),

    issueJoinTicket: (request) =>
      judged('IssueJoinTicket', async (stage, policy) => {
        const { role, digest, diskUuid } = await admitted(request, stage, policy);
        const ticket = await buildJoinTicket({ keys: deps.keys, secrets, cluster: deps.cluster, diskUuid, role });
        return { response: { sealedTicket: deps.seal(request.nodePublicKey, ticket, digest), role }, role };
      }),

    issueRejoinTicket: (request) =>
      judged('IssueRejoinTicket', async (stage, policy) => {
        const { role, digest, diskUuid } = await admitted(request, stage, policy);
        const ticket = await buildRejoinTicket({ keys: deps.keys, secrets, diskUuid });
        return { response: { sealedTicket: deps.seal(request.nodePublicKey, ticket, digest) }, role };
      }),

    updatePolicy: (request) =>
      judged('UpdatePolicy', (stage) => {
        stage.check = 'signature';
        const version = BigInt(request.version);
        let next: JoinPolicy;
        try {
          next = policies.update({ policyJson: request.policyJson, version, signature: request.signature });
        } catch (error) {
          if (error instanceof PolicyError) stage.check = 'version';
          // A bad admin signature is a refused operation (PERMISSION_DENIED), not an unauthenticated peer.
          if (error instanceof VerificationError) throw new PolicyError(error.code, error.message);
          if (!(error instanceof PolicyError)) stage.check = 'request';
          throw error;
        }
        return Promise.resolve({ response: { version: Number(next.version) }, policyVersion: next.version });
      }),

    refusedOversized: (error) => {
      audit({
        decision: 'reject',
        method: auditMethodOf(error.method),
        check: 'request',
        reason: reasonOf(error),
        policyVersion: policies.current().version.toString(),
      });
    },
  };
}
