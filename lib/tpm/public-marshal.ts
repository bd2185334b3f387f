// Builds a TPMT_PUBLIC around a node:crypto public key: for AKs that arrive as PEM (Azure publishes
// only the PKIX key), for synthetic test keys, and for templates. Parsed back, so the result is a
// TpmPublic exactly as a TPM-produced one would be.
import type { KeyObject } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { TPM_ALG, TPM_ECC_CURVE, TPMA_OBJECT } from './tpm-constants.js';
import { parsePublic, type TpmPublic, type TpmScheme, type TpmSymmetric } from './public-area.js';
import { TpmWriter } from './tpm-writer.js';

export interface PublicTemplate {
  /** Default TPM_ALG.SHA256. */
  readonly nameAlg?: number;
  /** Default: a restricted signing key (fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign). */
  readonly objectAttributes?: number;
  readonly authPolicy?: Uint8Array;
  /** Default: RSASSA-SHA256 for RSA, ECDSA-SHA256 for ECC; `null` for TPM_ALG_NULL. */
  readonly scheme?: TpmScheme | null;
  readonly symmetric?: TpmSymmetric;
}

export const AK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.userWithAuth |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.sign;

const CURVE_IDS: Readonly<Record<string, number>> = {
  'P-256': TPM_ECC_CURVE.NIST_P256,
  'P-384': TPM_ECC_CURVE.NIST_P384,
  'P-521': TPM_ECC_CURVE.NIST_P521,
};

function writeSymmetric(w: TpmWriter, symmetric: TpmSymmetric | undefined): void {
  if (symmetric === undefined) w.u16(TPM_ALG.NULL);
  else w.u16(symmetric.alg).u16(symmetric.keyBits).u16(symmetric.mode);
}

function writeScheme(w: TpmWriter, scheme: TpmScheme | null): void {
  if (scheme === null) {
    w.u16(TPM_ALG.NULL);
    return;
  }
  w.u16(scheme.scheme);
  if (scheme.hashAlg !== undefined) w.u16(scheme.hashAlg);
  if (scheme.count !== undefined) w.u16(scheme.count);
}

/** TPMT_PUBLIC bytes for an RSA or EC (P-256/384/521) public key. */
export function marshalPublic(key: KeyObject, template: PublicTemplate = {}): Buffer {
  const jwk = key.export({ format: 'jwk' });
  const w = new TpmWriter();
  const header = (type: number): void => {
    w.u16(type)
      .u16(template.nameAlg ?? TPM_ALG.SHA256)
      .u32(template.objectAttributes ?? AK_ATTRIBUTES)
      .sized(template.authPolicy ?? Buffer.alloc(0));
    writeSymmetric(w, template.symmetric);
  };
  if (jwk.kty === 'RSA' && jwk.n !== undefined && jwk.e !== undefined) {
    const modulus = Buffer.from(jwk.n, 'base64url');
    const exponent = Buffer.from(jwk.e, 'base64url').readUIntBE(0, Math.min(6, Buffer.from(jwk.e, 'base64url').length));
    header(TPM_ALG.RSA);
    writeScheme(
      w,
      template.scheme === undefined ? { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 } : template.scheme,
    );
    w.u16(modulus.length * 8)
      .u32(exponent === 65537 ? 0 : exponent)
      .sized(modulus);
    return w.toBuffer();
  }
  const curveId = jwk.crv === undefined ? undefined : CURVE_IDS[jwk.crv];
  if (jwk.kty === 'EC' && curveId !== undefined && jwk.x !== undefined && jwk.y !== undefined) {
    header(TPM_ALG.ECC);
    writeScheme(
      w,
      template.scheme === undefined ? { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 } : template.scheme,
    );
    w.u16(curveId).u16(TPM_ALG.NULL).sized(Buffer.from(jwk.x, 'base64url')).sized(Buffer.from(jwk.y, 'base64url'));
    return w.toBuffer();
  }
  throw invalidArgument('key', 'an RSA or EC P-256/P-384/P-521 public key', jwk.kty);
}

/** The TpmPublic a TPM would report for `key` under `template`. */
export function publicFromKey(key: KeyObject, template: PublicTemplate = {}): TpmPublic {
  return parsePublic(marshalPublic(key, template));
}
