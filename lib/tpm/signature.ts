// TPMT_SIGNATURE (Part 2 §11.3.4): RSASSA/RSAPSS carry one TPM2B; ECDSA-family schemes carry r and s.
import { TPM_ALG, algName } from './tpm-constants.js';
import { TpmReader, malformed } from './tpm-reader.js';
import { tpmHashForAlg } from './tpm-hash.js';

export interface TpmRsaSignature {
  readonly kind: 'rsa';
  readonly sigAlg: typeof TPM_ALG.RSASSA | typeof TPM_ALG.RSAPSS;
  readonly hashAlg: number;
  readonly sig: Buffer;
}

export interface TpmEccSignature {
  readonly kind: 'ecc';
  readonly sigAlg: typeof TPM_ALG.ECDSA | typeof TPM_ALG.ECDAA | typeof TPM_ALG.SM2 | typeof TPM_ALG.ECSCHNORR;
  readonly hashAlg: number;
  readonly r: Buffer;
  readonly s: Buffer;
}

export interface TpmHmacSignature {
  readonly kind: 'hmac';
  readonly sigAlg: typeof TPM_ALG.HMAC;
  readonly hashAlg: number;
  readonly digest: Buffer;
}

export type TpmtSignature = TpmRsaSignature | TpmEccSignature | TpmHmacSignature;

const STRUCTURE = 'TPMT_SIGNATURE';

function readHash(reader: TpmReader): number {
  const alg = reader.u16('signature.hash');
  if (tpmHashForAlg(alg) === undefined && alg !== TPM_ALG.SM3_256) {
    throw malformed(STRUCTURE, `Expected a hash algorithm for signature.hash, got ${algName(alg)}`);
  }
  return alg;
}

function parseBody(reader: TpmReader, sigAlg: number): TpmtSignature {
  switch (sigAlg) {
    case TPM_ALG.RSASSA:
    case TPM_ALG.RSAPSS:
      return { kind: 'rsa', sigAlg, hashAlg: readHash(reader), sig: reader.sized('signature.sig', 512) };
    case TPM_ALG.ECDSA:
    case TPM_ALG.ECDAA:
    case TPM_ALG.SM2:
    case TPM_ALG.ECSCHNORR:
      return {
        kind: 'ecc',
        sigAlg,
        hashAlg: readHash(reader),
        r: reader.sized('signature.signatureR', 128),
        s: reader.sized('signature.signatureS', 128),
      };
    case TPM_ALG.HMAC: {
      const hashAlg = readHash(reader);
      const size = tpmHashForAlg(hashAlg)?.size ?? 32;
      return { kind: 'hmac', sigAlg, hashAlg, digest: reader.bytes(size, 'signature.digest') };
    }
    default:
      throw malformed(
        STRUCTURE,
        `Expected a signature scheme (RSASSA, RSAPSS, ECDSA, …) for sigAlg, got ${algName(sigAlg)}`,
      );
  }
}

/** Parses a TPMT_SIGNATURE; the whole input must be the structure. */
export function parseSignature(bytes: Uint8Array): TpmtSignature {
  const reader = new TpmReader(bytes, STRUCTURE);
  const signature = parseBody(reader, reader.u16('sigAlg'));
  reader.end();
  return signature;
}
