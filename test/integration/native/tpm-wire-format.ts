// Test-only readers for the few TPM wire structures the native tests check (TPMT_PUBLIC keys, TPMT_SIGNATURE,
// the head of TPMS_ATTEST). Deliberately independent of lib/tpm, which is verified by its own tests.
import { createPublicKey, type KeyObject } from 'node:crypto';

class WireReader {
  #offset = 0;
  constructor(private readonly bytes: Buffer) {}
  u16(): number {
    const value = this.bytes.readUInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }
  u32(): number {
    const value = this.bytes.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }
  sized(): Buffer {
    const size = this.u16();
    const value = this.bytes.subarray(this.#offset, this.#offset + size);
    if (value.length !== size) throw new Error(`truncated TPM2B at ${this.#offset}`);
    this.#offset += size;
    return value;
  }
  get remaining(): number {
    return this.bytes.length - this.#offset;
  }
}

const ALG_RSA = 0x0001;
const ALG_ECC = 0x0023;
const ALG_NULL = 0x0010;

export interface PublicSummary {
  readonly type: 'rsa' | 'ecc';
  readonly nameAlg: number;
  readonly attributes: number;
  readonly authPolicy: Buffer;
  readonly key: KeyObject;
}

/** TPMT_PUBLIC (RSA or ECC P-256/P-384) → its public key as a KeyObject. */
export function publicKeyOf(tpmtPublic: Buffer): PublicSummary {
  const reader = new WireReader(tpmtPublic);
  const type = reader.u16();
  const nameAlg = reader.u16();
  const attributes = reader.u32();
  const authPolicy = reader.sized();
  const symmetric = reader.u16();
  if (symmetric !== ALG_NULL) reader.u32(); // keyBits + mode
  const scheme = reader.u16();
  if (scheme !== ALG_NULL) reader.u16();
  if (type === ALG_RSA) {
    reader.u16(); // keyBits
    const exponent = reader.u32() || 65537;
    const n = reader.sized();
    const e = Buffer.alloc(4);
    e.writeUInt32BE(exponent);
    const key = createPublicKey({
      key: { kty: 'RSA', n: n.toString('base64url'), e: e.subarray(e.findIndex((b) => b !== 0)).toString('base64url') },
      format: 'jwk',
    });
    return { type: 'rsa', nameAlg, attributes, authPolicy, key };
  }
  if (type === ALG_ECC) {
    const curve = reader.u16();
    const kdf = reader.u16();
    if (kdf !== ALG_NULL) reader.u16();
    const x = reader.sized();
    const y = reader.sized();
    const crv = curve === 0x0003 ? 'P-256' : curve === 0x0004 ? 'P-384' : `curve ${curve}`;
    const key = createPublicKey({
      key: { kty: 'EC', crv, x: x.toString('base64url'), y: y.toString('base64url') },
      format: 'jwk',
    });
    return { type: 'ecc', nameAlg, attributes, authPolicy, key };
  }
  throw new Error(`unexpected TPMT_PUBLIC type 0x${type.toString(16)}`);
}

export interface SignatureSummary {
  readonly sigAlg: number;
  readonly hashAlg: number;
  /** RSASSA: the signature; ECDSA: r ‖ s each padded to `size` (IEEE P1363). */
  readonly value: Buffer;
}

export function signatureOf(tpmtSignature: Buffer, size = 32): SignatureSummary {
  const reader = new WireReader(tpmtSignature);
  const sigAlg = reader.u16();
  const hashAlg = reader.u16();
  if (sigAlg === 0x0014) return { sigAlg, hashAlg, value: reader.sized() };
  if (sigAlg === 0x0018) {
    const pad = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(Math.max(0, size - b.length)), b]);
    return { sigAlg, hashAlg, value: Buffer.concat([pad(reader.sized()), pad(reader.sized())]) };
  }
  throw new Error(`unexpected signature algorithm 0x${sigAlg.toString(16)}`);
}

/** The fields at the head of TPMS_ATTEST: magic, type, qualifiedSigner, extraData. */
export function attestHeadOf(attest: Buffer): {
  magic: number;
  type: number;
  qualifiedSigner: Buffer;
  extraData: Buffer;
} {
  const reader = new WireReader(attest);
  return { magic: reader.u32(), type: reader.u16(), qualifiedSigner: reader.sized(), extraData: reader.sized() };
}

/** tpm2_makecredential output: 0xBADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. */
export function makeCredentialFileParts(file: Buffer): { credentialBlob: Buffer; secret: Buffer } {
  const reader = new WireReader(file);
  const magic = reader.u32();
  const version = reader.u32();
  if (magic !== 0xbadcc0de || version !== 1) throw new Error(`unexpected makecredential header ${magic}/${version}`);
  const credentialBlob = reader.sized();
  const secret = reader.sized();
  if (reader.remaining !== 0) throw new Error(`${reader.remaining} trailing bytes after the encrypted secret`);
  return { credentialBlob, secret };
}
