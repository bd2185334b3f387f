// TPM names (Part 1 §16): Name = nameAlg ‖ H_nameAlg(TPMT_PUBLIC); qualified names chain them from a hierarchy.
import { createHash } from 'node:crypto';
import { VerificationError, invalidArgument } from '../errors.js';
import { TPM_ALG } from './tpm-constants.js';
import { TpmErrorCode } from './tpm-error-codes.js';
import { tpmHashForAlg, type TpmHashAlg } from './tpm-hash.js';
import type { TpmPublic } from './public-area.js';
import { TpmWriter } from './tpm-writer.js';

/** The object's Name, as `Esys_TR_GetName` returns it: nameAlg (2 bytes) ‖ H_nameAlg(TPMT_PUBLIC). */
export function objectName(pub: Pick<TpmPublic, 'nameAlg' | 'raw'>): Buffer {
  const hash = tpmHashForAlg(pub.nameAlg);
  if (hash === undefined) {
    const why = pub.nameAlg === TPM_ALG.NULL ? 'TPM_ALG_NULL' : `0x${pub.nameAlg.toString(16)}`;
    throw new VerificationError(TpmErrorCode.NAME_UNAVAILABLE, `Expected a hash nameAlg to compute a Name, got ${why}`);
  }
  return new TpmWriter().u16(hash.alg).raw(createHash(hash.name).update(pub.raw).digest()).toBuffer();
}

/** Qualified name of a permanent hierarchy (its handle, 4 bytes), e.g. TPM_RH.ENDORSEMENT. */
export function hierarchyQualifiedName(handle: number): Buffer {
  return new TpmWriter().u32(handle).toBuffer();
}

/** The hash of a Name (its first two bytes), when it is a digest Name of a hash node:crypto knows. */
export function nameHash(name: Uint8Array): TpmHashAlg | undefined {
  if (name.length < 2) return undefined;
  const hash = tpmHashForAlg(Buffer.from(name.buffer, name.byteOffset, name.byteLength).readUInt16BE(0));
  return hash !== undefined && name.length === 2 + hash.size ? hash : undefined;
}

/** QN(child) = nameAlg ‖ H_nameAlg(QN(parent) ‖ Name(child)), with the child's nameAlg. */
export function qualifiedName(parentQualifiedName: Uint8Array, name: Uint8Array): Buffer {
  const hash = nameHash(name);
  if (hash === undefined) {
    throw invalidArgument('name', 'a digest Name (nameAlg ‖ digest)', name);
  }
  const digest = createHash(hash.name).update(parentQualifiedName).update(name).digest();
  return new TpmWriter().u16(hash.alg).raw(digest).toBuffer();
}
