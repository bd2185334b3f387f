// TPM hash algorithms as node:crypto knows them.
import { PCR_DIGEST_SIZE, pcrBankForAlg, type PcrBank } from './pcr.js';

/** A TPM hash algorithm that node:crypto implements; `name` doubles as PCR bank and node hash name. */
export interface TpmHashAlg {
  readonly alg: number;
  readonly name: PcrBank;
  readonly size: number;
}

export function tpmHashForAlg(alg: number): TpmHashAlg | undefined {
  const name = pcrBankForAlg(alg);
  return name === undefined ? undefined : { alg, name, size: PCR_DIGEST_SIZE[name] };
}
