// The node's check of the JoinService (DESIGN §2.2, mutual attestation): before a node sends anything, the
// service must prove it runs the node's own measured image (the same boot PCRs as the node's TPM reports),
// belongs to an initialised cluster (PCR 15 ≠ 0; joinCluster later checks it is THE cluster of the ticket),
// quotes with an AK proven by credential activation over the attested channel, on a TPM whose EK chains to
// the node's trusted manufacturer roots. No AK name is pinned: the activation anchors it on every connect.
import { timingSafeEqual } from 'node:crypto';
import type { AttestationProof, DocumentCheck } from '../atls/index.js';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import type { TpmTrust } from '../attestation/verify/ak-trust.js';
import { verifyDocument } from '../attestation/verify/document-verifier.js';
import type { VerifiedMachineState } from '../attestation/verify/machine-state.js';
import { evaluatePolicy } from '../attestation/policy/evaluate-policy.js';
import { enforcePolicy } from '../attestation/policy-result.js';
import { DEFAULT_POLICY, DEFAULT_TPM_POLICY, type Policy } from '../attestation/policy/policy.js';
import { invalidArgument, PolicyError, VerificationError } from '../errors.js';
import { shortHex } from '../hex.js';
import { IMAGE_PARTIALLY_LOGGED_PCRS, IMAGE_UNLOGGED_PCRS } from '../image/measurements-policy.js';

/** Boot PCRs a JoinService must share with the node: boot loader/UKI (4), command line and initrd (8, 9, 11). */
export const DEFAULT_SHARED_BOOT_PCRS: readonly number[] = Object.freeze([4, 8, 9, 11]);
/** PCR the cluster id is extended into (clusterMeasurement); all-zero on a node that belongs to no cluster. */
export const CLUSTER_PCR = 15;

export const JOIN_SERVICE_IMAGE_MISMATCH = 'JOIN_SERVICE_IMAGE_MISMATCH';
export const JOIN_SERVICE_NOT_INITIALIZED = 'JOIN_SERVICE_NOT_INITIALIZED';

export interface ServiceCheckOptions {
  readonly ekRoots: readonly string[];
  readonly ekIntermediates?: readonly string[];
  /** The node's own sha256 PCRs, read from its TPM after boot; at least every index of `pcrs`. */
  readonly ownPcrs: Readonly<Record<number, Buffer>>;
  /** Boot PCRs that must equal the node's own; default DEFAULT_SHARED_BOOT_PCRS. */
  readonly pcrs?: readonly number[];
  /**
   * How the node image logs its PCRs (policy tpm.unloggedPcrs / tpm.partiallyLoggedPcrs, see lib/image); default
   * the image's [10, 15, 16, 23] and [11]. Every partially logged PCR must be among `pcrs`: only the comparison
   * with the node's own value proves it.
   */
  readonly unloggedPcrs?: readonly number[];
  readonly partiallyLoggedPcrs?: readonly number[];
  readonly now?: () => Date;
}

/**
 * Legacy: the pinned-AK-name check of issue 5; no image or cluster comparison with the node. Kept only
 * until the issue-5 fixtures in test/integration/join move to the mutual check.
 * TODO(lead): delete with those fixtures' move (J1's service-fixture.ts, node-process.ts, join-processes.test.ts).
 */
export interface PinnedServiceCheckOptions {
  readonly policy: Policy;
  readonly ekRoots: readonly string[];
  readonly ekIntermediates?: readonly string[];
  readonly serviceAkNames: readonly string[];
  readonly now?: () => Date;
}

/** The verified state of the JoinService; joinCluster compares its PCR 15 with the ticket's cluster. */
export type ServiceCheck = DocumentCheck<VerifiedMachineState | undefined>;

const ZERO_PCR = Buffer.alloc(32);

function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function joinServiceCheck(options: ServiceCheckOptions): DocumentCheck<VerifiedMachineState>;
/** Legacy, see PinnedServiceCheckOptions: returns no state, so joinCluster cannot compare the cluster. */
export function joinServiceCheck(options: PinnedServiceCheckOptions): DocumentCheck<undefined>;
export function joinServiceCheck(options: ServiceCheckOptions | PinnedServiceCheckOptions): ServiceCheck {
  return 'serviceAkNames' in options ? pinnedCheck(options) : mutualCheck(options);
}

function mutualCheck(options: ServiceCheckOptions): DocumentCheck<VerifiedMachineState> {
  const pcrs = [...(options.pcrs ?? DEFAULT_SHARED_BOOT_PCRS)];
  const own = new Map<number, Buffer>();
  for (const index of pcrs) {
    const value = options.ownPcrs[index];
    if (!Number.isInteger(index) || index < 0 || index > 23 || index === CLUSTER_PCR) {
      throw invalidArgument('pcrs', 'boot PCR indices 0-23 other than 15', index);
    }
    if (!Buffer.isBuffer(value) || value.length !== 32) {
      throw invalidArgument(`ownPcrs[${index}]`, 'the node’s own 32-byte sha256 PCR value', value);
    }
    own.set(index, Buffer.from(value));
  }
  const partiallyLoggedPcrs = [...(options.partiallyLoggedPcrs ?? IMAGE_PARTIALLY_LOGGED_PCRS)];
  const uncompared = partiallyLoggedPcrs.filter((index) => !own.has(index));
  if (uncompared.length > 0) {
    throw invalidArgument('partiallyLoggedPcrs', 'PCRs that are also compared (in pcrs)', uncompared);
  }
  // Only the replay settings matter: the check below compares the PCRs itself.
  const policy: Policy = {
    ...DEFAULT_POLICY,
    tpm: {
      ...DEFAULT_TPM_POLICY,
      unloggedPcrs: [...(options.unloggedPcrs ?? IMAGE_UNLOGGED_PCRS)],
      partiallyLoggedPcrs,
    },
  };
  const now = options.now ?? (() => new Date());
  const ekTrust = {
    ekRoots: options.ekRoots,
    ...(options.ekIntermediates === undefined ? {} : { ekIntermediates: options.ekIntermediates }),
  };
  const check = async (
    document: AttestationDocument,
    expectedQualifyingData: Buffer,
    proof: AttestationProof,
  ): Promise<VerifiedMachineState> => {
    // Without an activation verifyDocument refuses (AK_UNTRUSTED); requiresAkProof makes connectAttested run it.
    const trust: TpmTrust = {
      ...ekTrust,
      ak:
        proof.activation === undefined
          ? { mode: 'credential-activation' }
          : { mode: 'credential-activation', activated: proof.activation },
    };
    const state = await verifyDocument(document, { tpm: trust }, { qualifyingData: expectedQualifyingData }, now(), {
      policy,
    });
    const quoted = state.tpm?.pcrs.sha256;
    if (quoted === undefined) {
      throw new VerificationError('EVIDENCE_MISSING', 'Expected a sha256 TPM quote from the JoinService, found none');
    }
    const mismatches: string[] = [];
    for (const [index, expected] of own) {
      const actual = quoted[index];
      if (actual === undefined) mismatches.push(`PCR[${index}] expected ${shortHex(expected)} (this node's), got none`);
      else if (!sameDigest(actual, expected)) {
        mismatches.push(`PCR[${index}] expected ${shortHex(expected)} (this node's), got ${shortHex(actual)}`);
      }
    }
    if (mismatches.length > 0) {
      throw new PolicyError(
        JOIN_SERVICE_IMAGE_MISMATCH,
        `Expected the JoinService to run this node's measured image, found ${mismatches.join('; ')}`,
        mismatches,
      );
    }
    const clusterPcr = quoted[CLUSTER_PCR];
    if (clusterPcr === undefined || sameDigest(clusterPcr, ZERO_PCR)) {
      throw new PolicyError(
        JOIN_SERVICE_NOT_INITIALIZED,
        `Expected the JoinService to belong to an initialised cluster (PCR[15] ≠ 0), found ${clusterPcr === undefined ? 'PCR[15] not quoted' : 'PCR[15] all zero'}`,
      );
    }
    return state;
  };
  return Object.assign(check, { requiresAkProof: true });
}

function pinnedCheck(options: PinnedServiceCheckOptions): DocumentCheck<undefined> {
  const trust: TpmTrust = {
    ekRoots: options.ekRoots,
    ...(options.ekIntermediates === undefined ? {} : { ekIntermediates: options.ekIntermediates }),
    ak: { mode: 'pinned-ak-names', akNames: options.serviceAkNames },
  };
  const now = options.now ?? (() => new Date());
  return async (document, expectedQualifyingData) => {
    const state = await verifyDocument(document, { tpm: trust }, { qualifyingData: expectedQualifyingData }, now(), {
      policy: options.policy,
    });
    enforcePolicy(evaluatePolicy(state, options.policy), 'JoinService');
    return undefined;
  };
}
