// TPMT_PUBLIC / TPM2B_PUBLIC (Part 2 §12.2) for RSA and ECC keys, with a node:crypto public key.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { VerificationError } from '../errors.js';
import { TPM_ALG, TPM_ECC_CURVE, algName } from './tpm-constants.js';
import { TpmErrorCode } from './tpm-error-codes.js';
import { TpmReader, malformed } from './tpm-reader.js';
import { tpmHashForAlg } from './tpm-hash.js';

/** TPMT_SYM_DEF_OBJECT; absent when the algorithm is TPM_ALG_NULL. */
export interface TpmSymmetric {
  readonly alg: number;
  readonly keyBits: number;
  readonly mode: number;
}

/** TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME; absent when TPM_ALG_NULL. */
export interface TpmScheme {
  readonly scheme: number;
  /** Absent for schemes without a hash (RSAES). */
  readonly hashAlg?: number;
  /** ECDAA commit count. */
  readonly count?: number;
}

export type EccCurveName = 'P-256' | 'P-384' | 'P-521';

interface TpmPublicCommon {
  /** The exact TPMT_PUBLIC bytes (what the name is computed over). */
  readonly raw: Buffer;
  readonly nameAlg: number;
  readonly objectAttributes: number;
  readonly authPolicy: Buffer;
  readonly symmetric: TpmSymmetric | undefined;
  readonly scheme: TpmScheme | undefined;
  /** The public key as node:crypto verifies and encrypts with. */
  readonly key: KeyObject;
}

export interface TpmRsaPublic extends TpmPublicCommon {
  readonly type: 'rsa';
  readonly keyBits: number;
  /** As stored: 0 means the default 65537. */
  readonly exponent: number;
  readonly modulus: Buffer;
}

export interface TpmEccPublic extends TpmPublicCommon {
  readonly type: 'ecc';
  readonly curveId: number;
  readonly curve: EccCurveName;
  readonly kdf: TpmScheme | undefined;
  readonly x: Buffer;
  readonly y: Buffer;
}

export type TpmPublic = TpmRsaPublic | TpmEccPublic;

const CURVES: ReadonlyMap<number, EccCurveName> = new Map([
  [TPM_ECC_CURVE.NIST_P256, 'P-256'],
  [TPM_ECC_CURVE.NIST_P384, 'P-384'],
  [TPM_ECC_CURVE.NIST_P521, 'P-521'],
]);

const COORDINATE_SIZE: Readonly<Record<EccCurveName, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** Byte size of a coordinate (and of ECDSA r and s) on a supported curve. */
export function eccCoordinateSize(curve: EccCurveName): number {
  return COORDINATE_SIZE[curve];
}

const RSA_SCHEMES_WITH_HASH: ReadonlySet<number> = new Set([TPM_ALG.RSASSA, TPM_ALG.RSAPSS, TPM_ALG.OAEP]);
const ECC_SCHEMES: ReadonlySet<number> = new Set([
  TPM_ALG.ECDSA,
  TPM_ALG.ECDH,
  TPM_ALG.ECDAA,
  TPM_ALG.SM2,
  TPM_ALG.ECSCHNORR,
  TPM_ALG.ECMQV,
]);
const KDF_SCHEMES: ReadonlySet<number> = new Set([TPM_ALG.KDF1_SP800_56A, TPM_ALG.KDF2, TPM_ALG.KDF1_SP800_108]);
const SYM_OBJECT_ALGS: ReadonlySet<number> = new Set([TPM_ALG.AES, TPM_ALG.SM4, TPM_ALG.CAMELLIA]);

const STRUCTURE = 'TPMT_PUBLIC';

function readHashAlg(reader: TpmReader, field: string, allowNull: boolean): number {
  const alg = reader.u16(field);
  if (allowNull && alg === TPM_ALG.NULL) return alg;
  if (tpmHashForAlg(alg) === undefined && alg !== TPM_ALG.SM3_256) {
    throw malformed(STRUCTURE, `Expected a hash algorithm for ${field}, got ${algName(alg)}`);
  }
  return alg;
}

function readSymmetric(reader: TpmReader): TpmSymmetric | undefined {
  const alg = reader.u16('symmetric.algorithm');
  if (alg === TPM_ALG.NULL) return undefined;
  if (!SYM_OBJECT_ALGS.has(alg)) {
    throw malformed(STRUCTURE, `Expected AES, SM4, CAMELLIA or NULL for symmetric.algorithm, got ${algName(alg)}`);
  }
  return { alg, keyBits: reader.u16('symmetric.keyBits'), mode: reader.u16('symmetric.mode') };
}

function readRsaScheme(reader: TpmReader): TpmScheme | undefined {
  const scheme = reader.u16('scheme.scheme');
  if (scheme === TPM_ALG.NULL) return undefined;
  if (scheme === TPM_ALG.RSAES) return { scheme };
  if (!RSA_SCHEMES_WITH_HASH.has(scheme)) {
    throw malformed(STRUCTURE, `Expected an RSA scheme for scheme.scheme, got ${algName(scheme)}`);
  }
  return { scheme, hashAlg: readHashAlg(reader, 'scheme.hashAlg', false) };
}

function readEccScheme(reader: TpmReader): TpmScheme | undefined {
  const scheme = reader.u16('scheme.scheme');
  if (scheme === TPM_ALG.NULL) return undefined;
  if (!ECC_SCHEMES.has(scheme)) {
    throw malformed(STRUCTURE, `Expected an ECC scheme for scheme.scheme, got ${algName(scheme)}`);
  }
  const hashAlg = readHashAlg(reader, 'scheme.hashAlg', false);
  return scheme === TPM_ALG.ECDAA ? { scheme, hashAlg, count: reader.u16('scheme.count') } : { scheme, hashAlg };
}

function readKdf(reader: TpmReader): TpmScheme | undefined {
  const scheme = reader.u16('kdf.scheme');
  if (scheme === TPM_ALG.NULL) return undefined;
  if (!KDF_SCHEMES.has(scheme))
    throw malformed(STRUCTURE, `Expected a KDF scheme for kdf.scheme, got ${algName(scheme)}`);
  return { scheme, hashAlg: readHashAlg(reader, 'kdf.hashAlg', false) };
}

function keyFromJwk(jwk: Record<string, string>, what: string): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new VerificationError(
      TpmErrorCode.KEY_INVALID,
      `Expected a valid ${what} public key, got one node:crypto rejects`,
      {
        cause: error,
      },
    );
  }
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function exponentBytes(exponent: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(exponent === 0 ? 65537 : exponent);
  return stripLeadingZeros(b);
}

function parseRsa(
  reader: TpmReader,
  raw: Buffer,
  common: Omit<TpmPublicCommon, 'raw' | 'key' | 'symmetric' | 'scheme'>,
): TpmRsaPublic {
  const symmetric = readSymmetric(reader);
  const scheme = readRsaScheme(reader);
  const keyBits = reader.u16('parameters.keyBits');
  const exponent = reader.u32('parameters.exponent');
  const modulus = reader.sized('unique.rsa', 512);
  reader.end();
  if (keyBits < 1024 || keyBits % 8 !== 0 || modulus.length !== keyBits / 8) {
    throw malformed(
      STRUCTURE,
      `Expected an RSA modulus of keyBits ${keyBits} (${keyBits / 8} bytes), got ${modulus.length} bytes`,
    );
  }
  if (exponent !== 0 && exponent % 2 === 0) {
    throw new VerificationError(TpmErrorCode.KEY_INVALID, `Expected an odd RSA exponent, got ${exponent}`);
  }
  const key = keyFromJwk(
    { kty: 'RSA', n: modulus.toString('base64url'), e: exponentBytes(exponent).toString('base64url') },
    `RSA-${keyBits}`,
  );
  return { ...common, raw, type: 'rsa', symmetric, scheme, keyBits, exponent, modulus, key };
}

function parseEcc(
  reader: TpmReader,
  raw: Buffer,
  common: Omit<TpmPublicCommon, 'raw' | 'key' | 'symmetric' | 'scheme'>,
): TpmEccPublic {
  const symmetric = readSymmetric(reader);
  const scheme = readEccScheme(reader);
  const curveId = reader.u16('parameters.curveID');
  const kdf = readKdf(reader);
  const x = reader.sized('unique.ecc.x', 128);
  const y = reader.sized('unique.ecc.y', 128);
  reader.end();
  const curve = CURVES.get(curveId);
  if (curve === undefined) {
    throw new VerificationError(
      TpmErrorCode.KEY_UNSUPPORTED,
      `Expected ECC curve NIST P-256, P-384 or P-521, got TPM_ECC_CURVE 0x${curveId.toString(16).padStart(4, '0')}`,
    );
  }
  const size = COORDINATE_SIZE[curve];
  const coordinate = (value: Buffer, field: string): Buffer => {
    const trimmed = stripLeadingZeros(value);
    if (trimmed.length > size) {
      throw malformed(STRUCTURE, `Expected at most ${size} bytes for ${field} on ${curve}, got ${value.length}`);
    }
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  const key = keyFromJwk(
    {
      kty: 'EC',
      crv: curve,
      x: coordinate(x, 'unique.ecc.x').toString('base64url'),
      y: coordinate(y, 'unique.ecc.y').toString('base64url'),
    },
    `ECC ${curve}`,
  );
  return { ...common, raw, type: 'ecc', symmetric, scheme, curveId, curve, kdf, x, y, key };
}

/** Parses a TPMT_PUBLIC (no size prefix) of an RSA or ECC key; the whole input must be the structure. */
export function parsePublic(bytes: Uint8Array): TpmPublic {
  const raw = Buffer.from(bytes);
  const reader = new TpmReader(raw, STRUCTURE);
  const type = reader.u16('type');
  const nameAlg = readHashAlg(reader, 'nameAlg', true);
  const objectAttributes = reader.u32('objectAttributes');
  const authPolicy = reader.sized('authPolicy', 64);
  const common = { nameAlg, objectAttributes, authPolicy };
  if (type === TPM_ALG.RSA) return parseRsa(reader, raw, common);
  if (type === TPM_ALG.ECC) return parseEcc(reader, raw, common);
  throw new VerificationError(
    TpmErrorCode.KEY_UNSUPPORTED,
    `Expected a TPMT_PUBLIC of type TPM_ALG_RSA or TPM_ALG_ECC, got ${algName(type)}`,
  );
}

/** Parses a TPM2B_PUBLIC: u16 size, then a TPMT_PUBLIC of exactly that size. */
export function parsePublic2B(bytes: Uint8Array): TpmPublic {
  const reader = new TpmReader(bytes, 'TPM2B_PUBLIC');
  const inner = reader.sized('publicArea');
  reader.end();
  return parsePublic(inner);
}
