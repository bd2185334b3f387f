// Quotes signed by node:crypto keys, for checks a real TPM will not produce (wrong magic, wrong type)
// and for every AK algorithm. The structures come from lib/tpm's marshallers, the signatures from
// node:crypto directly.
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { marshalAttest, marshalQuoteInfo, type AttestFields } from '../../../lib/tpm/attest-marshal.js';
import { PCR_DIGEST_SIZE, type PcrBank, type PcrSelection, type PcrValues } from '../../../lib/tpm/pcr.js';
import { publicFromKey, type PublicTemplate } from '../../../lib/tpm/public-marshal.js';
import type { TpmPublic } from '../../../lib/tpm/public-area.js';
import { marshalSignature } from '../../../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../../../lib/tpm/tpm-constants.js';

export type SyntheticAk = 'rsa-rsassa' | 'rsa-rsapss' | 'ecc-p256' | 'ecc-p384';

export interface SyntheticKey {
  readonly kind: SyntheticAk;
  readonly akPublic: TpmPublic;
  readonly privateKey: KeyObject;
}

export function syntheticAk(kind: SyntheticAk, template: PublicTemplate = {}): SyntheticKey {
  if (kind === 'ecc-p256' || kind === 'ecc-p384') {
    const { publicKey, privateKey } = generateKeyPairSync('ec', {
      namedCurve: kind === 'ecc-p256' ? 'P-256' : 'P-384',
    });
    return { kind, akPublic: publicFromKey(publicKey, template), privateKey };
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const scheme = kind === 'rsa-rsapss' ? { scheme: TPM_ALG.RSAPSS, hashAlg: TPM_ALG.SHA256 } : undefined;
  return {
    kind,
    akPublic: publicFromKey(publicKey, scheme === undefined ? template : { scheme, ...template }),
    privateKey,
  };
}

const HASH_ALG: Readonly<Record<PcrBank, number>> = {
  sha1: TPM_ALG.SHA1,
  sha256: TPM_ALG.SHA256,
  sha384: TPM_ALG.SHA384,
  sha512: TPM_ALG.SHA512,
};

/** TPMT_SIGNATURE by `key` over `attest` with the key's scheme. */
export function signAttest(key: SyntheticKey, attest: Uint8Array, hash: PcrBank = 'sha256'): Buffer {
  const hashAlg = HASH_ALG[hash];
  if (key.kind === 'rsa-rsassa') {
    return marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg, sig: sign(hash, attest, key.privateKey) });
  }
  if (key.kind === 'rsa-rsapss') {
    const sig = sign(hash, attest, {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: PCR_DIGEST_SIZE[hash],
    });
    return marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSAPSS, hashAlg, sig });
  }
  const raw = sign(hash, attest, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  const half = raw.length / 2;
  return marshalSignature({
    kind: 'ecc',
    sigAlg: TPM_ALG.ECDSA,
    hashAlg,
    r: raw.subarray(0, half),
    s: raw.subarray(half),
  });
}

/** Deterministic PCR values for a selection: byte = index + bank offset. */
export function pcrValuesFor(selection: PcrSelection): PcrValues {
  const values: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  for (const [bank, indices] of Object.entries(selection) as [PcrBank, readonly number[]][]) {
    values[bank] = Object.fromEntries(indices.map((i) => [i, Buffer.alloc(PCR_DIGEST_SIZE[bank], i + bank.length)]));
  }
  return values;
}

export function pcrDigest(selection: PcrSelection, values: PcrValues, hash: PcrBank = 'sha256'): Buffer {
  const h = createHash(hash);
  for (const [bank, indices] of Object.entries(selection) as [PcrBank, readonly number[]][]) {
    for (const i of indices) {
      const value = values[bank]?.[i];
      if (value === undefined) throw new Error(`no value for PCR[${i}] (${bank})`);
      h.update(value);
    }
  }
  return h.digest();
}

export interface SyntheticQuote {
  readonly attest: Buffer;
  readonly signature: Buffer;
  readonly nonce: Buffer;
  readonly pcrs: PcrValues;
}

/** A signed quote over `selection` (banks in key order) with `overrides` applied to the TPMS_ATTEST. */
export function syntheticQuote(
  key: SyntheticKey,
  selection: PcrSelection = { sha256: [0, 1, 2, 3, 4, 5, 6, 7] },
  overrides: Partial<AttestFields> = {},
  hash: PcrBank = 'sha256',
): SyntheticQuote {
  const nonce = Buffer.from('synthetic nonce 0123456789abcdef');
  const pcrs = pcrValuesFor(selection);
  const attest = marshalAttest({
    extraData: nonce,
    qualifiedSigner: Buffer.alloc(34, 0x0b),
    attested: marshalQuoteInfo(selection, pcrDigest(selection, pcrs, hash)),
    ...overrides,
  });
  return { attest, signature: signAttest(key, attest, hash), nonce, pcrs };
}
