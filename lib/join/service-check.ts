// The node's check of the JoinService (mutual attestation): the service must run the measured image the
// node's policy describes, on a TPM whose EK chains to the node's trusted manufacturer roots. Its AK is
// anchored by name: the AK is derived from the EK (reproducible per TPM), and its name was established by
// credential activation when the cluster was created, so pinning it needs no extra round trip here.
import type { DocumentCheck } from '../atls/index.js';
import type { TpmTrust } from '../attestation/verify/ak-trust.js';
import { verifyDocument } from '../attestation/verify/document-verifier.js';
import { evaluatePolicy } from '../attestation/policy/evaluate-policy.js';
import { enforcePolicy } from '../attestation/policy-result.js';
import type { Policy } from '../attestation/policy/policy.js';

export interface ServiceCheckOptions {
  readonly policy: Policy;
  readonly ekRoots: readonly string[];
  readonly ekIntermediates?: readonly string[];
  /** Accepted AK names (hex) of JoinService TPMs. */
  readonly serviceAkNames: readonly string[];
  readonly now?: () => Date;
}

export function joinServiceCheck(options: ServiceCheckOptions): DocumentCheck {
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
  };
}
