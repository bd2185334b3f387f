// evaluateTpmPolicy: compares a verified TPM state with the TPM part of the policy and reports every
// difference at once, as `PCR[4] (sha256) expected 3d45…, got 9a1c…`.
import { shortHex } from '../../hex.js';
import { PCR_BANKS, type PcrBank } from '../../tpm/pcr.js';
import { checkEventLogRules as checkLogRules } from '../eventlog/event-log-rules.js';
import { mergePolicyResults, policyResult, type PolicyResult } from '../policy-result.js';
import type { VerifiedTpmState } from '../verify/machine-state.js';
import type { AkTrustMode, PcrRule, TpmPolicy } from './policy.js';

export function evaluateTpmPolicy(
  state: VerifiedTpmState,
  policy: TpmPolicy,
  akTrust?: readonly AkTrustMode[],
): PolicyResult {
  return mergePolicyResults(
    checkSha1Banks(state, policy),
    checkPcrs(state, policy),
    checkAllowedEvents(state, policy),
    checkSecureBoot(state, policy),
    checkEventLogRules(state, policy),
    akTrust === undefined ? policyResult() : checkAkTrust(state, akTrust),
  );
}

function checkSha1Banks(state: VerifiedTpmState, policy: TpmPolicy): PolicyResult {
  // Validators already leave SHA-1 values out unless allowed; this catches a state verified under other options.
  if (policy.allowSha1Banks || state.pcrs.sha1 === undefined || Object.keys(state.pcrs.sha1).length === 0) {
    return policyResult();
  }
  return policyResult([
    'PCR bank expected SHA-256 or stronger, got sha1 values (set policy.tpm.allowSha1Banks=true to accept SHA-1)',
  ]);
}

function describeExpected(rule: PcrRule): string {
  return rule.expected.map((value) => shortHex(value)).join(' or ');
}

function checkPcrs(state: VerifiedTpmState, policy: TpmPolicy): PolicyResult {
  const violations: string[] = [];
  const warnings: string[] = [];
  let pinned = 0;
  for (const bank of PCR_BANKS) {
    const rules = policy.pcrs[bank];
    if (rules === undefined) continue;
    for (const [indexText, rule] of Object.entries(rules)) {
      pinned++;
      const index = Number(indexText);
      const actual = state.pcrs[bank]?.[index];
      const matches = actual !== undefined && rule.expected.some((value) => value.equals(actual));
      if (matches) continue;
      const got = actual === undefined ? 'no value (the PCR is not in a verified quote)' : shortHex(actual);
      const line = `PCR[${index}] (${bank}) expected ${describeExpected(rule)}, got ${got}`;
      if (rule.mode === 'warn') warnings.push(`${line} (warn only)`);
      else violations.push(line);
    }
  }
  if (pinned === 0) warnings.push('no PCR value checked: policy.tpm.pcrs is empty');
  return policyResult(violations, warnings);
}

function checkAllowedEvents(state: VerifiedTpmState, policy: TpmPolicy): PolicyResult {
  const violations: string[] = [];
  const tables = Object.entries(policy.allowedEvents) as [PcrBank, Readonly<Record<number, readonly Buffer[]>>][];
  if (tables.length === 0) return policyResult();
  if (state.eventLog === undefined) {
    return policyResult(['event log expected for policy.tpm.allowedEvents, got none in the evidence']);
  }
  for (const [bank, byPcr] of tables) {
    for (const [indexText, allowed] of Object.entries(byPcr)) {
      const index = Number(indexText);
      // Without a signed value for the PCR, its events are not replay-verified, so they prove nothing.
      if (state.pcrs[bank]?.[index] === undefined) {
        violations.push(
          `PCR[${index}] (${bank}) expected replay-verified events for policy.tpm.allowedEvents, got a PCR that is not in a verified quote`,
        );
        continue;
      }
      for (const event of state.events) {
        if (event.pcr !== index) continue;
        const digest = event.digests[bank];
        if (digest === undefined) {
          violations.push(
            `PCR[${index}] (${bank}) event #${event.seq} ${event.typeName} expected a ${bank} digest, got none`,
          );
        } else if (!allowed.some((value) => value.equals(digest))) {
          violations.push(
            `PCR[${index}] (${bank}) event #${event.seq} ${event.typeName} expected a digest in policy.tpm.allowedEvents.${bank}.${index}, got ${shortHex(digest)}`,
          );
        }
      }
    }
  }
  return policyResult(violations);
}

function checkSecureBoot(state: VerifiedTpmState, policy: TpmPolicy): PolicyResult {
  if (!policy.requireSecureBoot) {
    return policyResult([], ['Secure Boot not checked: policy.tpm.requireSecureBoot is false']);
  }
  if (state.secureBoot === undefined) {
    return policyResult(['Secure Boot expected enabled, got unknown (the evidence has no event log)']);
  }
  return state.secureBoot.enabled ? policyResult() : policyResult(['Secure Boot expected enabled, got disabled']);
}

function checkEventLogRules(state: VerifiedTpmState, policy: TpmPolicy): PolicyResult {
  if (!policy.eventLogRules.enabled) {
    return policyResult([], ['event log rules not checked: policy.tpm.eventLogRules.enabled is false']);
  }
  if (state.eventLog === undefined)
    return policyResult([], ['event log rules not checked: the evidence has no event log']);
  return checkLogRules(state.eventLog, {
    allowEfiAppBeforeCallingEvent: policy.eventLogRules.allowEfiAppBeforeCallingEvent,
  });
}

function checkAkTrust(state: VerifiedTpmState, accepted: readonly AkTrustMode[]): PolicyResult {
  if (accepted.includes(state.akTrust)) return policyResult();
  return policyResult([`AK anchor expected ${accepted.join(' or ')}, got ${state.akTrust} (see policy.akTrust)`]);
}
