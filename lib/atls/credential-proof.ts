// The verifier's half of the AK proof over the wire: wrap a fresh secret to the EK of the evidence's
// certificate for the evidence's AK name (TPM2_MakeCredential in software) and let the attested server's TPM
// recover it. Only the TPM that holds that EK and has that AK loaded can; a server quoting with another
// TPM's AK (a relay) cannot answer. The result feeds trust.ak = {mode: 'credential-activation', activated}.
import { randomBytes, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import type { CredentialActivation } from '../attestation/verify/ak-trust.js';
import { VerificationError } from '../errors.js';
import { makeCredential, objectName, parsePublic, publicFromKey, TPM_ALG, type TpmPublic } from '../tpm/index.js';

export const AK_ACTIVATION_FAILED = 'AK_ACTIVATION_FAILED';

/** Sends the credential to the attested server and returns what its TPM recovered. */
export type RemoteActivation = (credentialBlob: Buffer, encryptedSecret: Buffer) => Promise<Buffer>;

const SECRET_BYTES = 32;

function activationFailed(reason: string, cause?: unknown): VerificationError {
  return new VerificationError(
    AK_ACTIVATION_FAILED,
    `Expected the server's TPM to activate a credential for the evidence's EK and AK, ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The TCG default EK templates (RSA 2048 / NIST P-256) store with AES-128-CFB and name with SHA-256. */
export function ekTpmPublic(key: KeyObject): TpmPublic {
  return publicFromKey(key, { scheme: null, symmetric: { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB } });
}

/**
 * Proves that the AK quoting `document` lives in the TPM of the document's EK certificate. Does not judge
 * the certificate chain (verifyDocument does, with the returned activation). Throws VerificationError
 * AK_ACTIVATION_FAILED when the document lacks the parts, `activate` fails or answers another secret.
 */
export async function proveAttestedAk(
  document: AttestationDocument,
  activate: RemoteActivation,
): Promise<CredentialActivation> {
  const evidence = document.tpm;
  if (evidence === undefined) throw activationFailed('found a document without TPM evidence');
  if (evidence.ekCertificate === undefined || evidence.ekCertificate.length === 0) {
    throw activationFailed('found a document without an EK certificate');
  }
  let ekKey: KeyObject;
  let ekPublic: TpmPublic;
  let akName: Buffer;
  try {
    ekKey = new X509Certificate(evidence.ekCertificate).publicKey;
    ekPublic = ekTpmPublic(ekKey);
    akName = objectName(parsePublic(evidence.akPublic));
  } catch (error) {
    throw activationFailed('found an EK certificate or AK public area that does not parse', error);
  }
  const secret = randomBytes(SECRET_BYTES);
  const made = makeCredential(ekPublic, akName, secret);
  let answered: Buffer;
  try {
    answered = Buffer.from(await activate(made.credentialBlob, made.secret));
  } catch (error) {
    throw activationFailed(`found the activation failing: ${(error as Error).message}`, error);
  }
  if (answered.length !== secret.length || !timingSafeEqual(answered, secret)) {
    throw activationFailed('found another secret in the answer');
  }
  return { ekPublic: ekKey, akName };
}
