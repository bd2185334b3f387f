// The admin signing key authenticates admin RPCs (policy updates) before there is Kubernetes RBAC: an Ed25519
// key whose seed is derived from the master secret, so the admin (who holds the master secret file) can sign
// and every JoinService replica can verify with the public key alone.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { VerificationError, invalidArgument } from '../errors.js';
import { deriveDataKey } from './key-derivation.js';
import type { MasterSecret } from './master-secret.js';

export const ADMIN_SIGNING_KEY_ID = 'adminSigning';
export const POLICY_UPDATE_LABEL = 'constellation-policy-update-v1';
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): SEQUENCE { 0, AlgorithmIdentifier id-Ed25519, OCTET STRING { OCTET STRING seed } }.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface AdminSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Ed25519 key pair from seed = HKDF(master key, master salt, 'key-adminSigning', 32). */
export function adminSigningKey(secret: MasterSecret): AdminSigningKey {
  return adminSigningKeyFromSeed(deriveDataKey(secret, ADMIN_SIGNING_KEY_ID, 32));
}

/** The admin key pair from its 32-byte seed (e.g. the KMS's `adminSigning` data key); wipes the seed. */
export function adminSigningKeyFromSeed(seed: Buffer): AdminSigningKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  seed.fill(0);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function checkVersion(version: bigint): void {
  if (typeof version !== 'bigint' || version < 0n || version > 0xffff_ffff_ffff_ffffn) {
    throw invalidArgument('policy version', 'a bigint from 0 to 2^64-1', version);
  }
}

/** SHA-256('constellation-policy-update-v1' ‖ u64be version ‖ policyJson): the version is signed, so an old
 * update cannot be replayed as a new one. */
export function policyUpdateDigest(policyJson: Buffer, version: bigint): Buffer {
  checkVersion(version);
  const encodedVersion = Buffer.alloc(8);
  encodedVersion.writeBigUInt64BE(version);
  return createHash('sha256').update(POLICY_UPDATE_LABEL).update(encodedVersion).update(policyJson).digest();
}

export function signPolicyUpdate(privateKey: KeyObject, policyJson: Buffer, version: bigint): Buffer {
  return sign(null, policyUpdateDigest(policyJson, version), privateKey);
}

/** Throws VerificationError POLICY_UPDATE_SIGNATURE_INVALID unless `signature` is the admin's over exactly these. */
export function verifyPolicyUpdate(publicKey: KeyObject, policyJson: Buffer, version: bigint, signature: Buffer): void {
  const digest = policyUpdateDigest(policyJson, version);
  let valid: boolean;
  try {
    valid = signature.length === 64 && verify(null, digest, publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new VerificationError(
      'POLICY_UPDATE_SIGNATURE_INVALID',
      `Expected a policy update (version ${version.toString()}) signed by the admin signing key, found a signature that does not verify (${signature.length} bytes)`,
    );
  }
}
