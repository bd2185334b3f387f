// Verifies one node of the cluster: fresh evidence from its VerificationService, the AK proven by activation,
// the evidence checked under the config's policy with PCR 15 = the cluster measurement. Never throws for the
// node's answer: every outcome is a NodeVerification the report shows.
import { ConstellationError, PolicyError } from '../../lib/errors.js';
import { STATUS_FOR_EXIT, type VerifyStatus } from '../attestation/report-output.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';
import type { StateNode } from '../workspace/state.js';
import { checkNodeDocument, type NodeTrust } from './node-trust.js';
import { explainMismatches, pcrRows, type PcrExplanation, type PcrRow } from './pcr-report.js';
import { fetchNodeEvidence } from './verification-client.js';

/** One node's outcome: the same statuses (and exit codes) as `attestation verify`. */
export type NodeStatus = VerifyStatus;

export interface NodeVerification {
  readonly node: StateNode;
  readonly endpoint: string;
  readonly status: NodeStatus;
  readonly exitCode: ExitCode;
  readonly pcrs: readonly PcrRow[];
  readonly mismatches: readonly PcrExplanation[];
  readonly violations: readonly string[];
  readonly warnings: readonly string[];
  readonly ekFingerprint?: string;
  readonly akName?: string;
  readonly error?: { readonly class: string; readonly code: string; readonly message: string };
}

export async function verifyNode(
  node: StateNode,
  endpoint: string,
  trust: NodeTrust,
  now: () => Date = () => new Date(),
): Promise<NodeVerification> {
  const subject = `node ${node.name} (${endpoint})`;
  try {
    const evidence = await fetchNodeEvidence(endpoint, subject);
    const { state, result } = await checkNodeDocument(
      trust,
      evidence.document,
      { nonce: evidence.nonce, binding: evidence.binding },
      evidence.activation,
      now(),
    );
    const rows = pcrRows(state, trust.policy);
    const exitCode = result.violations.length === 0 ? ExitCode.OK : ExitCode.POLICY_REJECTED;
    const ek = state.tpm?.ek?.fingerprint;
    const ak = state.tpm?.akName.toString('hex');
    return {
      node,
      endpoint,
      status: STATUS_FOR_EXIT[exitCode],
      exitCode,
      pcrs: rows,
      mismatches: explainMismatches(state, rows),
      violations: result.violations,
      warnings: result.warnings,
      ...(ek === undefined ? {} : { ekFingerprint: ek }),
      ...(ak === undefined ? {} : { akName: ak }),
    };
  } catch (error) {
    const exitCode = exitCodeForError(error);
    return {
      node,
      endpoint,
      status: STATUS_FOR_EXIT[exitCode],
      exitCode,
      pcrs: [],
      mismatches: [],
      violations: error instanceof PolicyError ? error.violations : [],
      warnings: [],
      error: describeError(error),
    };
  }
}

function describeError(error: unknown): { class: string; code: string; message: string } {
  if (error instanceof ConstellationError) return { class: error.name, code: error.code, message: error.message };
  return { class: 'InternalError', code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** The command's exit code: the most serious node outcome (broken evidence first, then policy, then reach). */
export function overallExitCode(results: readonly NodeVerification[]): ExitCode {
  const order: readonly ExitCode[] = [
    ExitCode.VERIFICATION_FAILED,
    ExitCode.POLICY_REJECTED,
    ExitCode.NODE_REFUSED,
    ExitCode.NODE_UNREACHABLE,
    ExitCode.USAGE,
    ExitCode.ERROR,
  ];
  return order.find((code) => results.some((r) => r.exitCode === code)) ?? ExitCode.OK;
}
