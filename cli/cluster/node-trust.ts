// What the CLI trusts about a node: the config's attestation policy with PCR 15 pinned to what this step
// expects (all zero before init and at recovery, the cluster measurement once the node belongs to the
// cluster), and the EK roots from the workspace. Every node check goes through checkNodeDocument.
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { evaluatePolicy } from '../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../lib/attestation/policy/policy-parser.js';
import type { Policy } from '../../lib/attestation/policy/policy.js';
import type { PolicyResult } from '../../lib/attestation/policy-result.js';
import type { CredentialActivation, TpmTrust } from '../../lib/attestation/verify/ak-trust.js';
import { verifyDocument, type ExpectedBinding } from '../../lib/attestation/verify/document-verifier.js';
import type { VerifiedMachineState } from '../../lib/attestation/verify/machine-state.js';
import { InputError } from '../../lib/errors.js';
import { configFilePath, type ClusterConfig, type PolicyJson } from '../workspace/config.js';
import { readWorkspaceFile } from '../workspace/files.js';

/** The PCR the Bootstrapper extends with the cluster measurement. */
export const CLUSTER_PCR = 15;
/** PCR 15 of a node that belongs to no cluster yet (never extended since boot). */
export const UNINITIALIZED_PCR15 = Buffer.alloc(32);

export interface NodeTrust {
  readonly policy: Policy;
  readonly ekRoots: readonly string[];
  readonly ekIntermediates?: readonly string[];
}

/** The config's policy JSON with PCR 15 (sha256) required to be `expected`, whatever the config said. */
export function policyWithClusterPcr(policy: PolicyJson, expected: Buffer): Policy {
  const copy = JSON.parse(JSON.stringify(policy)) as Record<string, Record<string, Record<string, unknown>>>;
  const tpm = (copy['tpm'] ??= {});
  const pcrs = (tpm['pcrs'] ??= {}) as Record<string, Record<string, unknown>>;
  const sha256 = (pcrs['sha256'] ??= {});
  sha256[String(CLUSTER_PCR)] = { expected: [expected.toString('hex')], mode: 'enforce' };
  return parsePolicy(copy);
}

/** Reads the EK roots the config names; an empty or non-PEM file is an error naming the file. */
export async function loadNodeTrust(workspace: string, config: ClusterConfig, clusterPcr: Buffer): Promise<NodeTrust> {
  const ekRoots = await readPemFile(configFilePath(workspace, config.attestation.ekRoots), 'attestation.ekRoots');
  const intermediates = config.attestation.ekIntermediates;
  return {
    policy: policyWithClusterPcr(config.attestation.policy, clusterPcr),
    ekRoots,
    ...(intermediates === undefined
      ? {}
      : {
          ekIntermediates: await readPemFile(configFilePath(workspace, intermediates), 'attestation.ekIntermediates'),
        }),
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readPemFile(path: string, field: string): Promise<string[]> {
  const text = (await readWorkspaceFile(path, `the config's ${field}`)).toString('utf8');
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new InputError('CONFIG_INVALID', `${field}: expected PEM certificates in ${path}, found none`);
  }
  return certificates;
}

export function tpmTrustOf(trust: NodeTrust, activated: CredentialActivation): TpmTrust {
  return {
    ekRoots: trust.ekRoots,
    ...(trust.ekIntermediates === undefined ? {} : { ekIntermediates: trust.ekIntermediates }),
    ak: { mode: 'credential-activation', activated },
  };
}

export interface CheckedNode {
  readonly state: VerifiedMachineState;
  readonly result: PolicyResult;
}

/**
 * Verifies the document (EK chain, AK proven by `activated`, quote bound to `expected`, event-log replay) and
 * evaluates the policy. Throws VerificationError for broken evidence; a policy mismatch is returned in
 * `result` so callers can show the whole picture (verify) or refuse (init, recover).
 */
export async function checkNodeDocument(
  trust: NodeTrust,
  document: AttestationDocument,
  expected: ExpectedBinding,
  activated: CredentialActivation,
  now: Date = new Date(),
): Promise<CheckedNode> {
  const state = await verifyDocument(document, { tpm: tpmTrustOf(trust, activated) }, expected, now, {
    policy: trust.policy,
  });
  return { state, result: evaluatePolicy(state, trust.policy) };
}
