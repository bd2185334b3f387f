// Verifies a TPM2_Quote: the AK's signature over a TPMS_ATTEST, then what it says (magic, type,
// nonce, PCR selection and digest). Returns only what the TPM signed, so callers cannot mistake a
// supplied-but-unsigned PCR for evidence.
import { constants, createHash, timingSafeEqual, verify } from 'node:crypto';
import { VerificationError, invalidArgument } from '../errors.js';
import { shortHex } from '../hex.js';
import { parseAttest, type TpmsAttest, type TpmsQuoteInfo } from './attest.js';
import { PCR_DIGEST_SIZE, type PcrBank, type PcrSelection, type PcrValues } from './pcr.js';
import { eccCoordinateSize, parsePublic, type TpmPublic } from './public-area.js';
import { parseSignature, type TpmtSignature } from './signature.js';
import { TPM_ALG, TPM_GENERATED_VALUE, TPM_ST, algName, attestTypeName } from './tpm-constants.js';
import { TpmErrorCode } from './tpm-error-codes.js';
import { tpmHashForAlg, type TpmHashAlg } from './tpm-hash.js';

export interface QuoteInput {
  /** The AK: a parsed public area or TPMT_PUBLIC bytes. */
  readonly akPublic: TpmPublic | Uint8Array;
  /** TPMS_ATTEST bytes as the TPM returned them. */
  readonly attest: Uint8Array;
  /** TPMT_SIGNATURE bytes. */
  readonly signature: Uint8Array;
  /** The nonce the verifier sent; must equal extraData. */
  readonly expectedQualifyingData: Uint8Array;
  /** PCR values to check against the signed digest; exactly the signed selection must be supplied. */
  readonly pcrs: PcrValues;
  /** When given, the quote's qualifiedSigner must equal it (see qualifiedName()). */
  readonly akQualifiedName?: Uint8Array;
  /** Accept SHA-1 signatures (old Windows/GCP AKs). Default false. */
  readonly allowSha1?: boolean;
}

export interface VerifiedQuote {
  readonly attest: TpmsAttest;
  readonly selection: PcrSelection;
  /** Exactly the signed PCRs. */
  readonly pcrs: PcrValues;
}

function fail(code: string, message: string): VerificationError {
  return new VerificationError(code, message);
}

function checkScheme(ak: TpmPublic, sig: TpmtSignature, allowSha1: boolean): TpmHashAlg {
  const allowed = ak.type === 'rsa' ? [TPM_ALG.RSASSA, TPM_ALG.RSAPSS] : [TPM_ALG.ECDSA];
  const keyScheme = ak.scheme;
  const expected = keyScheme === undefined ? allowed.map(algName).join(' or ') : algName(keyScheme.scheme);
  const schemeOk =
    (allowed as number[]).includes(sig.sigAlg) &&
    (keyScheme === undefined || (keyScheme.scheme === sig.sigAlg && keyScheme.hashAlg === sig.hashAlg));
  if (!schemeOk) {
    const keyHash = keyScheme?.hashAlg === undefined ? '' : ` with ${algName(keyScheme.hashAlg)}`;
    throw fail(
      TpmErrorCode.QUOTE_SIGNATURE_SCHEME_MISMATCH,
      `Expected a ${expected}${keyHash} signature for this ${ak.type.toUpperCase()} AK, got ${algName(sig.sigAlg)} with ${algName(sig.hashAlg)}`,
    );
  }
  const hash = tpmHashForAlg(sig.hashAlg);
  if (hash === undefined) {
    throw fail(
      TpmErrorCode.QUOTE_SIGNATURE_SCHEME_MISMATCH,
      `Expected a SHA-1/SHA-2 signature hash, got ${algName(sig.hashAlg)}`,
    );
  }
  if (hash.name === 'sha1' && !allowSha1) {
    throw fail(
      TpmErrorCode.QUOTE_SHA1_REFUSED,
      'Expected a SHA-256 or stronger quote signature, got SHA-1 (set allowSha1: true to accept SHA-1 AKs)',
    );
  }
  return hash;
}

function signatureValid(ak: TpmPublic, sig: TpmtSignature, hash: TpmHashAlg, attest: Uint8Array): boolean {
  try {
    return cryptoVerify(ak, sig, hash, attest);
  } catch {
    // OpenSSL rejects some malformed signatures (e.g. longer than the modulus) by throwing.
    return false;
  }
}

function cryptoVerify(ak: TpmPublic, sig: TpmtSignature, hash: TpmHashAlg, attest: Uint8Array): boolean {
  if (sig.kind === 'rsa') {
    const padding = sig.sigAlg === TPM_ALG.RSAPSS ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
    return verify(hash.name, attest, { key: ak.key, padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig.sig);
  }
  if (sig.kind !== 'ecc' || ak.type !== 'ecc') return false;
  const size = eccCoordinateSize(ak.curve);
  const pad = (v: Buffer): Buffer | undefined => {
    let start = 0;
    while (v.length - start > size && v[start] === 0) start++;
    const trimmed = v.subarray(start);
    return trimmed.length > size ? undefined : Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  const r = pad(sig.r);
  const s = pad(sig.s);
  if (r === undefined || s === undefined) return false;
  return verify(hash.name, attest, { key: ak.key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkPcrs(quote: TpmsQuoteInfo, pcrs: PcrValues, hash: TpmHashAlg): PcrValues {
  const signed: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  const digest = createHash(hash.name);
  for (const bank of quote.banks) {
    const values: Record<number, Buffer> = {};
    for (const index of quote.selection[bank] ?? []) {
      const value = pcrs[bank]?.[index];
      if (value === undefined) {
        throw fail(
          TpmErrorCode.QUOTE_PCR_MISSING,
          `PCR[${index}] (${bank}) is in the signed selection but no value was supplied`,
        );
      }
      if (!(value instanceof Uint8Array) || value.length !== PCR_DIGEST_SIZE[bank]) {
        throw invalidArgument(`pcrs.${bank}[${index}]`, `${PCR_DIGEST_SIZE[bank]} bytes`, value);
      }
      values[index] = Buffer.from(value);
      digest.update(value);
    }
    signed[bank] = values;
  }
  for (const [bank, values] of Object.entries(pcrs) as [PcrBank, PcrValues[PcrBank]][]) {
    for (const key of Object.keys(values ?? {})) {
      if (signed[bank]?.[Number(key)] === undefined) {
        throw fail(
          TpmErrorCode.QUOTE_PCR_NOT_SIGNED,
          `PCR[${key}] (${bank}) was supplied but is not in the quote's signed selection`,
        );
      }
    }
  }
  const computed = digest.digest();
  if (!sameBytes(computed, quote.pcrDigest)) {
    throw fail(
      TpmErrorCode.QUOTE_PCR_DIGEST_MISMATCH,
      `Expected pcrDigest ${shortHex(quote.pcrDigest)} (signed) to equal ${hash.name} over the supplied PCRs, got ${shortHex(computed)}`,
    );
  }
  return signed;
}

/** Verifies a quote; throws VerificationError with a QUOTE_* or TPM_* code at the first failed check. */
export function verifyQuote(input: QuoteInput): VerifiedQuote {
  const ak = input.akPublic instanceof Uint8Array ? parsePublic(input.akPublic) : input.akPublic;
  const attest = parseAttest(input.attest);
  const sig = parseSignature(input.signature);

  const hash = checkScheme(ak, sig, input.allowSha1 === true);
  if (!signatureValid(ak, sig, hash, input.attest)) {
    throw fail(
      TpmErrorCode.QUOTE_SIGNATURE_INVALID,
      `Expected a valid ${algName(sig.sigAlg)} signature by the AK over the quote, got one that does not verify`,
    );
  }
  if (attest.magic !== TPM_GENERATED_VALUE) {
    throw fail(
      TpmErrorCode.QUOTE_MAGIC_INVALID,
      `Expected TPMS_ATTEST magic ff544347, got ${attest.magic.toString(16).padStart(8, '0')}`,
    );
  }
  if (attest.quote === undefined || attest.type !== TPM_ST.ATTEST_QUOTE) {
    throw fail(
      TpmErrorCode.QUOTE_TYPE_INVALID,
      `Expected TPMS_ATTEST type ${attestTypeName(TPM_ST.ATTEST_QUOTE)}, got ${attestTypeName(attest.type)}`,
    );
  }
  if (!sameBytes(attest.extraData, input.expectedQualifyingData)) {
    throw fail(
      TpmErrorCode.QUOTE_NONCE_MISMATCH,
      `Expected extraData ${shortHex(input.expectedQualifyingData)} (${input.expectedQualifyingData.length} bytes), got ${shortHex(attest.extraData)} (${attest.extraData.length} bytes)`,
    );
  }
  const pcrs = checkPcrs(attest.quote, input.pcrs, hash);
  if (input.akQualifiedName !== undefined && !sameBytes(attest.qualifiedSigner, input.akQualifiedName)) {
    throw fail(
      TpmErrorCode.QUOTE_SIGNER_MISMATCH,
      `Expected qualifiedSigner ${shortHex(input.akQualifiedName, 6)}, got ${shortHex(attest.qualifiedSigner, 6)}`,
    );
  }
  return { attest, selection: attest.quote.selection, pcrs };
}
