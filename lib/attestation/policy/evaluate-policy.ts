// evaluatePolicy: applies the whole policy to a verified machine state and returns every violation and
// warning of every part (TPM, SNP, TDX) at once; enforcePolicy (policy-result.ts) turns it into an error.
import { mergePolicyResults, policyResult, type PolicyResult } from '../policy-result.js';
import { evaluateSnpPolicy } from '../snp/snp-policy.js';
import { evaluateTdxPolicy } from '../tdx/tdx-policy.js';
import type { VerifiedMachineState } from '../verify/machine-state.js';
import type { Policy } from './policy.js';
import { evaluateTpmPolicy } from './tpm-policy.js';

function pinsPcrs(policy: Policy): boolean {
  return Object.values(policy.tpm.pcrs).some((rules) => Object.keys(rules).length > 0);
}

export function evaluatePolicy(state: VerifiedMachineState, policy: Policy): PolicyResult {
  const results: PolicyResult[] = [];
  if (state.tpm !== undefined) {
    results.push(evaluateTpmPolicy(state.tpm, policy.tpm, policy.akTrust));
  } else if (pinsPcrs(policy)) {
    results.push(policyResult([`TPM evidence expected by policy.tpm.pcrs, got none (variant ${state.variant})`]));
  }
  // An unset SNP/TDX section still applies the evaluators' secure defaults (debug refused, VMPL 0, …).
  if (state.snp !== undefined) {
    results.push(evaluateSnpPolicy(state.snp, policy.snp ?? {}));
  } else if (policy.snp !== undefined) {
    results.push(policyResult([`SNP evidence expected by policy.snp, got none (variant ${state.variant})`]));
  }
  if (state.tdx !== undefined) {
    results.push(evaluateTdxPolicy(state.tdx, policy.tdx ?? {}));
  } else if (policy.tdx !== undefined) {
    results.push(policyResult([`TDX evidence expected by policy.tdx, got none (variant ${state.variant})`]));
  }
  return mergePolicyResults(...results);
}
