// TPM2_MakeCredential in software (Part 1 §24, Part 3 §12.6): wraps a credential so only the TPM
// holding the EK private key, with the object `objectName` loaded, can recover it through
// TPM2_ActivateCredential. Runs on the verifier; needs only the EK public area.
import {
  createCipheriv,
  createECDH,
  createHmac,
  constants,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { TPM_ALG } from './tpm-constants.js';
import { kdfA, kdfE } from './kdf.js';
import { nameHash } from './object-name.js';
import { eccCoordinateSize, type TpmEccPublic, type TpmPublic } from './public-area.js';
import { tpmHashForAlg, type TpmHashAlg } from './tpm-hash.js';
import { TpmWriter } from './tpm-writer.js';

export interface MadeCredential {
  /** TPM2B_ID_OBJECT contents (no outer size): TPM2B integrityHMAC ‖ encIdentity. */
  readonly credentialBlob: Buffer;
  /** TPM2B_ENCRYPTED_SECRET contents (no outer size): RSA-OAEP ciphertext, or a TPMS_ECC_POINT for ECC EKs. */
  readonly secret: Buffer;
}

/** Fixed inputs for known-answer tests only; production callers pass nothing (fresh randomness). */
export interface CredentialTestInputs {
  /** RSA EKs: the seed to encrypt (nameAlg digest size). */
  readonly seed?: Uint8Array;
  /** ECC EKs: the ephemeral private scalar (curve size, big-endian). */
  readonly ephemeralPrivateKey?: Uint8Array;
}

const AES_CFB: Readonly<Record<number, string>> = { 128: 'aes-128-cfb', 192: 'aes-192-cfb', 256: 'aes-256-cfb' };
const ECDH_CURVES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;

function fixedSize(value: Buffer, size: number): Buffer {
  return value.length >= size
    ? value.subarray(value.length - size)
    : Buffer.concat([Buffer.alloc(size - value.length), value]);
}

function rsaSeed(ek: KeyObject, hash: TpmHashAlg, seed: Buffer): Buffer {
  return publicEncrypt(
    {
      key: ek,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: hash.name,
      oaepLabel: Buffer.from('IDENTITY\0', 'latin1'),
    },
    seed,
  );
}

function eccSeed(
  ek: TpmEccPublic,
  hash: TpmHashAlg,
  ephemeralPrivateKey: Uint8Array | undefined,
): { seed: Buffer; secret: Buffer } {
  const size = eccCoordinateSize(ek.curve);
  const ecdh = createECDH(ECDH_CURVES[ek.curve]);
  if (ephemeralPrivateKey === undefined) ecdh.generateKeys();
  else ecdh.setPrivateKey(Buffer.from(ephemeralPrivateKey));
  const ekX = fixedSize(ek.x, size);
  const ekPoint = Buffer.concat([Buffer.from([4]), ekX, fixedSize(ek.y, size)]);
  const z = ecdh.computeSecret(ekPoint);
  const ephemeral = ecdh.getPublicKey();
  const ephemeralX = ephemeral.subarray(1, 1 + size);
  const ephemeralY = ephemeral.subarray(1 + size);
  const seed = kdfE(hash.name, z, 'IDENTITY', ephemeralX, ekX, hash.size * 8);
  return { seed, secret: new TpmWriter().sized(ephemeralX).sized(ephemeralY).toBuffer() };
}

/** TPM2_MakeCredential(ekPublic, credential, objectName) without a TPM. */
export function makeCredential(
  ekPublic: TpmPublic,
  objectName: Uint8Array,
  credential: Uint8Array,
  testInputs: CredentialTestInputs = {},
): MadeCredential {
  const hash = tpmHashForAlg(ekPublic.nameAlg);
  if (hash === undefined) throw invalidArgument('ekPublic.nameAlg', 'a SHA-1/SHA-2 name algorithm', ekPublic.nameAlg);
  const symmetric = ekPublic.symmetric;
  const cipher = symmetric === undefined ? undefined : AES_CFB[symmetric.keyBits];
  if (symmetric?.alg !== TPM_ALG.AES || symmetric.mode !== TPM_ALG.CFB || cipher === undefined) {
    throw invalidArgument('ekPublic.symmetric', 'an AES-128/192/256 CFB storage key (an EK)', symmetric?.alg);
  }
  if (nameHash(objectName) === undefined) {
    throw invalidArgument('objectName', 'a TPM Name (nameAlg ‖ digest)', objectName);
  }
  if (credential.length === 0 || credential.length > 64) {
    throw invalidArgument('credential', 'between 1 and 64 bytes (a TPM2B_DIGEST)', credential);
  }

  let seed: Buffer;
  let secret: Buffer;
  if (ekPublic.type === 'rsa') {
    seed = Buffer.from(testInputs.seed ?? randomBytes(hash.size));
    if (seed.length !== hash.size) throw invalidArgument('seed', `${hash.size} bytes`, testInputs.seed);
    secret = rsaSeed(ekPublic.key, hash, seed);
  } else {
    ({ seed, secret } = eccSeed(ekPublic, hash, testInputs.ephemeralPrivateKey));
  }

  const symKey = kdfA(hash.name, seed, 'STORAGE', objectName, Buffer.alloc(0), symmetric.keyBits);
  const plain = new TpmWriter().sized(credential).toBuffer();
  const aes = createCipheriv(cipher, symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([aes.update(plain), aes.final()]);
  const hmacKey = kdfA(hash.name, seed, 'INTEGRITY', Buffer.alloc(0), Buffer.alloc(0), hash.size * 8);
  const integrity = createHmac(hash.name, hmacKey).update(encIdentity).update(objectName).digest();
  return { credentialBlob: new TpmWriter().sized(integrity).raw(encIdentity).toBuffer(), secret };
}
