// The outcome of applying a policy to a verified machine state: every violation at once, plus warnings.
import { PolicyError } from '../errors.js';

export interface PolicyResult {
  /** Each violation as `<what> expected <x>, got <y>`, e.g. `PCR[4] (sha256) expected 3d45…, got 9a1c…`. */
  readonly violations: readonly string[];
  /** Values that differ but are configured warn-only, and checks skipped because the policy leaves them unset. */
  readonly warnings: readonly string[];
}

export function policyResult(violations: readonly string[] = [], warnings: readonly string[] = []): PolicyResult {
  return { violations, warnings };
}

export function mergePolicyResults(...results: readonly PolicyResult[]): PolicyResult {
  return {
    violations: results.flatMap((r) => r.violations),
    warnings: results.flatMap((r) => r.warnings),
  };
}

/** Throws PolicyError('POLICY_VIOLATION') listing every violation when there is at least one. */
export function enforcePolicy(result: PolicyResult, subject: string): void {
  if (result.violations.length === 0) return;
  const list = result.violations.map((v) => `  - ${v}`).join('\n');
  throw new PolicyError(
    'POLICY_VIOLATION',
    `${subject} violates the policy in ${result.violations.length} place(s):\n${list}`,
    result.violations,
  );
}
