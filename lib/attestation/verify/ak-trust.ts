// Anchors the attestation key (AK) to a genuine TPM. The original qemu-vtpm validator trusted whatever AK
// the document carried (constellation-runtime.md §11.6); here every accepted AK has one of these anchors.
import { createHash, timingSafeEqual, type KeyObject, type X509Certificate } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { objectName } from '../../tpm/object-name.js';
import { parsePublic, type TpmPublic } from '../../tpm/public-area.js';
import { TPMA_OBJECT } from '../../tpm/tpm-constants.js';
import type { AkTrustMode } from '../policy/policy.js';
import { parseCertificate, parseCertificateBundle, verifyCertificateChain } from './certificate-chain.js';
import { TpmVerifyErrorCode } from './tpm-verify-errors.js';

/** Proof, from the caller's MakeCredential/ActivateCredential round, that the AK lives in the EK's TPM. */
export interface CredentialActivation {
  /** The EK the credential was encrypted to: TPMT_PUBLIC bytes, a parsed public area or a node key. */
  readonly ekPublic: Uint8Array | TpmPublic | KeyObject;
  /** The AK name that the credential was bound to (and the TPM checked on activation). */
  readonly akName: Uint8Array;
}

export type AkTrustConfig =
  | { readonly mode: 'credential-activation'; readonly activated?: CredentialActivation }
  | {
      readonly mode: 'ak-certificate';
      /** PEM roots the AK certificate must chain to. */
      readonly akRoots: readonly string[];
      readonly akIntermediates?: readonly string[];
    }
  | { readonly mode: 'pinned-ak-names'; /** Accepted AK names, hex. */ readonly akNames: readonly string[] };

/** Trust material for TPM evidence; passed in by the caller, never read from disk here. */
export interface TpmTrust {
  /** Manufacturer CA roots (PEM) that EK certificates must chain to, e.g. the `mini up` swtpm CA. */
  readonly ekRoots: readonly string[];
  readonly ekIntermediates?: readonly string[];
  readonly ak: AkTrustConfig;
}

export interface VerifiedEk {
  /** RFC 7638 JWK thumbprint (SHA-256) of the EK public key, hex. */
  readonly fingerprint: string;
  readonly public: KeyObject;
}

/**
 * RFC 7638 JWK thumbprint (SHA-256 over the required members in lexicographic order), hex. Standard, and
 * far cheaper than a DER SPKI export with OpenSSL 3 (about 0.4 ms per RSA key).
 */
export function keyFingerprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('hex');
}

const REQUIRED_AK_ATTRIBUTES = TPMA_OBJECT.fixedTPM | TPMA_OBJECT.restricted | TPMA_OBJECT.sign;

/**
 * A quote is only as good as the key that signed it: an unrestricted key signs any blob, including one
 * that looks like a TPMS_ATTEST; a key without fixedTPM may have been imported from outside a TPM.
 */
export function checkAkAttributes(ak: TpmPublic): void {
  const attributes = ak.objectAttributes;
  if ((attributes & REQUIRED_AK_ATTRIBUTES) !== REQUIRED_AK_ATTRIBUTES || (attributes & TPMA_OBJECT.decrypt) !== 0) {
    throw new VerificationError(
      TpmVerifyErrorCode.AK_ATTRIBUTES_INVALID,
      `AK expected attributes fixedTPM|restricted|sign without decrypt, got 0x${attributes.toString(16).padStart(8, '0')}`,
    );
  }
}

interface VerifiedEkEntry {
  readonly ekRoots: readonly string[];
  readonly ekIntermediates: readonly string[];
  /** Validity windows of every certificate on the verified path (leaf, intermediates, root). */
  readonly validity: readonly { readonly from: number; readonly to: number }[];
  readonly result: VerifiedEk;
}

/**
 * Verified EK chains keyed by the exact certificate bytes and bound to the trust material they were
 * verified against: a node presents the same EK certificate for GetChallenge, IssueJoinTicket and the
 * evidence, and again on every rejoin. Signatures are a pure function of the bytes, so they are checked
 * once; the validity of every certificate on the path is still checked against `now` on every use. Only
 * successes are cached.
 */
const verifiedEks = new Map<string, VerifiedEkEntry>();
const VERIFIED_EK_CACHE_SIZE = 4096;

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Verifies the EK certificate against the manufacturer roots at `now`. */
export function verifyEkCertificate(ekCertificate: Uint8Array, trust: TpmTrust, now: Date): VerifiedEk {
  const code = TpmVerifyErrorCode.EK_CHAIN_INVALID;
  const ekIntermediates = trust.ekIntermediates ?? [];
  const cacheKey = Buffer.from(ekCertificate.buffer, ekCertificate.byteOffset, ekCertificate.byteLength).toString(
    'base64',
  );
  const cached = verifiedEks.get(cacheKey);
  if (
    cached !== undefined &&
    sameStrings(cached.ekRoots, trust.ekRoots) &&
    sameStrings(cached.ekIntermediates, ekIntermediates)
  ) {
    const at = now.getTime();
    // Same outcome as a fresh verification: a certificate outside its validity fails the chain check.
    if (cached.validity.every(({ from, to }) => at >= from && at <= to)) return cached.result;
  }
  const leaf = parseCertificate(ekCertificate, code, 'EK certificate');
  const roots = trust.ekRoots.flatMap((pem, i) => parseCertificateBundle(pem, code, `trust.ekRoots[${i}]`));
  const intermediates = ekIntermediates.flatMap((pem, i) =>
    parseCertificateBundle(pem, code, `trust.ekIntermediates[${i}]`),
  );
  const path = verifyCertificateChain({ leaf, intermediates, roots, now, code, what: 'EK certificate' });
  const result: VerifiedEk = { fingerprint: keyFingerprint(leaf.publicKey), public: leaf.publicKey };
  if (verifiedEks.size >= VERIFIED_EK_CACHE_SIZE) {
    const oldest = verifiedEks.keys().next();
    if (oldest.done !== true) verifiedEks.delete(oldest.value);
  }
  verifiedEks.set(cacheKey, {
    ekRoots: [...trust.ekRoots],
    ekIntermediates: [...ekIntermediates],
    validity: path.map((cert) => ({ from: new Date(cert.validFrom).getTime(), to: new Date(cert.validTo).getTime() })),
    result,
  });
  return result;
}

function keyOf(value: Uint8Array | TpmPublic | KeyObject): KeyObject {
  if (value instanceof Uint8Array) return parsePublic(value).key;
  return 'raw' in value ? value.key : value;
}

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface AkCertificateCodes {
  /** Chain does not verify or a certificate does not parse. */
  readonly chain: string;
  /** The certificate certifies a key other than the AK. */
  readonly mismatch: string;
}

/** Verifies an AK certificate chain (leaf first) to `roots` and that it certifies exactly this AK. */
export function verifyAkCertificate(
  ak: TpmPublic,
  chain: readonly Uint8Array[],
  roots: readonly X509Certificate[],
  knownIntermediates: readonly X509Certificate[],
  now: Date,
  codes: AkCertificateCodes,
): X509Certificate {
  const [leafBytes, ...rest] = chain;
  if (leafBytes === undefined)
    throw new VerificationError(codes.chain, 'AK certificate expected in the evidence, got none');
  const leaf = parseCertificate(leafBytes, codes.chain, 'AK certificate');
  const intermediates = rest.map((der, i) => parseCertificate(der, codes.chain, `AK certificate chain[${i + 1}]`));
  if (!leaf.publicKey.equals(ak.key)) {
    throw new VerificationError(
      codes.mismatch,
      `AK certificate expected to certify the quoting AK (${shortHex(Buffer.from(keyFingerprint(ak.key), 'hex'))}), got a certificate for key ${shortHex(Buffer.from(keyFingerprint(leaf.publicKey), 'hex'))}`,
    );
  }
  verifyCertificateChain({
    leaf,
    intermediates: [...intermediates, ...knownIntermediates],
    roots,
    now,
    code: codes.chain,
    what: 'AK certificate',
  });
  return leaf;
}

export interface AnchoredAk {
  readonly akTrust: AkTrustMode;
  readonly ek: VerifiedEk | undefined;
}

export interface AkAnchorInput {
  readonly ak: TpmPublic;
  readonly ekCertificate: Uint8Array | undefined;
  readonly akCertificateChain: readonly Uint8Array[];
  readonly trust: TpmTrust;
  readonly now: Date;
}

/** Anchors the AK as `trust.ak` says; throws VerificationError(TPM_AK_UNTRUSTED or a chain code) otherwise. */
export function anchorAk(input: AkAnchorInput): AnchoredAk {
  const { ak, trust, now } = input;
  const name = objectName(ak);
  const hasEkCert = input.ekCertificate !== undefined && input.ekCertificate.length > 0;
  // An EK certificate that is present is checked whenever roots are configured, whatever anchors the AK.
  const ek = hasEkCert && trust.ekRoots.length > 0 ? verifyEkCertificate(input.ekCertificate, trust, now) : undefined;
  const config = trust.ak;
  switch (config.mode) {
    case 'credential-activation': {
      if (ek === undefined) {
        throw new VerificationError(
          TpmVerifyErrorCode.EK_CHAIN_INVALID,
          `EK certificate expected for credential activation, got ${hasEkCert ? 'one but no trust.ekRoots to check it' : 'none in the evidence'}`,
        );
      }
      const activated = config.activated;
      if (activated === undefined) {
        throw new VerificationError(
          TpmVerifyErrorCode.AK_UNTRUSTED,
          'AK expected to be proven by credential activation against the certified EK, got no activation result (trust.ak.activated)',
        );
      }
      const activatedEk = keyOf(activated.ekPublic);
      if (!activatedEk.equals(ek.public)) {
        throw new VerificationError(
          TpmVerifyErrorCode.AK_UNTRUSTED,
          `credential activation expected against the certified EK ${ek.fingerprint.slice(0, 8)}…, got EK ${keyFingerprint(activatedEk).slice(0, 8)}…`,
        );
      }
      if (!sameName(activated.akName, name)) {
        throw new VerificationError(
          TpmVerifyErrorCode.AK_UNTRUSTED,
          `credential activation expected for the quoting AK ${shortHex(name, 6)}, got AK ${shortHex(activated.akName, 6)}`,
        );
      }
      return { akTrust: 'credential-activation', ek };
    }
    case 'ak-certificate': {
      const code = TpmVerifyErrorCode.AK_CERT_INVALID;
      const roots = config.akRoots.flatMap((pem, i) => parseCertificateBundle(pem, code, `trust.ak.akRoots[${i}]`));
      const intermediates = (config.akIntermediates ?? []).flatMap((pem, i) =>
        parseCertificateBundle(pem, code, `trust.ak.akIntermediates[${i}]`),
      );
      verifyAkCertificate(ak, input.akCertificateChain, roots, intermediates, now, { chain: code, mismatch: code });
      return { akTrust: 'ak-certificate', ek };
    }
    case 'pinned-ak-names': {
      const hex = name.toString('hex');
      if (!config.akNames.some((pinned) => pinned.toLowerCase() === hex)) {
        throw new VerificationError(
          TpmVerifyErrorCode.AK_UNTRUSTED,
          `AK name expected one of ${config.akNames.length} pinned name(s), got ${shortHex(name, 6)}`,
        );
      }
      return { akTrust: 'pinned-ak-names', ek };
    }
  }
}
