// PCR banks, selections and values as passed between the native layer, verifiers and policy.

export const PCR_BANKS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
export type PcrBank = (typeof PCR_BANKS)[number];

/** Number of PCRs a TPM 2.0 PC-client platform has per bank. */
export const PCR_COUNT = 24;

/** Digest size in bytes per bank. */
export const PCR_DIGEST_SIZE: Readonly<Record<PcrBank, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** TPM_ALG_ID of each bank's hash. */
export const PCR_BANK_ALG: Readonly<Record<PcrBank, number>> = {
  sha1: 0x0004,
  sha256: 0x000b,
  sha384: 0x000c,
  sha512: 0x000d,
};

/** PCR indices per bank, e.g. `{ sha256: [0, 4, 7] }`. Indices are kept in ascending order. */
export type PcrSelection = Partial<Record<PcrBank, readonly number[]>>;

/** PCR values per bank and index, e.g. `{ sha256: { 0: <32 bytes> } }`. */
export type PcrValues = Partial<Record<PcrBank, Readonly<Record<number, Buffer>>>>;

export function isPcrBank(value: unknown): value is PcrBank {
  return typeof value === 'string' && (PCR_BANKS as readonly string[]).includes(value);
}

export function pcrBankForAlg(alg: number): PcrBank | undefined {
  return PCR_BANKS.find((bank) => PCR_BANK_ALG[bank] === alg);
}
