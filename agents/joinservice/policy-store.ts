// Holds the join policy in force. A request reads it once (`current()`) and uses that snapshot throughout,
// so an update in flight never mixes two policies; an update is a single reference swap, so validations
// need no lock and run concurrently.
import type { KeyObject } from 'node:crypto';
import { PolicyError } from '../../lib/errors.js';
import { verifyPolicyUpdate } from '../../lib/crypto/index.js';
import { parseJoinPolicyBytes, type JoinPolicy } from './join-policy.js';

export const POLICY_VERSION_NOT_NEWER = 'POLICY_VERSION_NOT_NEWER';

export interface SignedPolicyUpdate {
  readonly policyJson: Buffer;
  readonly version: bigint;
  readonly signature: Buffer;
}

export class PolicyStore {
  #current: JoinPolicy;
  readonly #adminPublicKey: KeyObject;

  constructor(initial: JoinPolicy, adminPublicKey: KeyObject) {
    this.#current = initial;
    this.#adminPublicKey = adminPublicKey;
  }

  current(): JoinPolicy {
    return this.#current;
  }

  /**
   * Verifies the admin signature first (an unsigned update never reaches the parser), then the version,
   * then swaps. Throws VerificationError POLICY_UPDATE_SIGNATURE_INVALID, PolicyError
   * POLICY_VERSION_NOT_NEWER or InputError for a malformed policy.
   */
  update(update: SignedPolicyUpdate): JoinPolicy {
    verifyPolicyUpdate(this.#adminPublicKey, update.policyJson, update.version, update.signature);
    const next = parseJoinPolicyBytes(update.policyJson, update.version);
    // Check against the policy in force at swap time (no await between check and swap: atomic in JS).
    const inForce = this.#current;
    if (next.version <= inForce.version) {
      throw new PolicyError(
        POLICY_VERSION_NOT_NEWER,
        `policy version expected greater than ${inForce.version}, got ${next.version}`,
      );
    }
    this.#current = next;
    return next;
  }
}
