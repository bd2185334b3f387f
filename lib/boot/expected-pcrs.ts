// What the TPM's PCRs hold after a boot of `components`: PCR = H(PCR ‖ H(measured)) from the reset value, per bank.
// Also the per-event digests the log records, so the log and the prediction come from one computation.
import { createHash } from 'node:crypto';
import { PCR_DIGEST_SIZE, type PcrBank } from '../tpm/pcr.js';
import { BOOT_BANKS, checkBootComponents, type BootComponent } from './boot-component.js';

export type ExpectedPcrs = { readonly sha256: Readonly<Record<number, Buffer>> } & Partial<
  Record<PcrBank, Readonly<Record<number, Buffer>>>
>;

export function measurementDigests(measured: Buffer, banks: readonly PcrBank[] = BOOT_BANKS): Record<string, Buffer> {
  return Object.fromEntries(banks.map((bank) => [bank, createHash(bank).update(measured).digest()]));
}

/** PCRs the components extend (others keep their reset value), for sha256 and every other bank in `banks`. */
export function expectedPcrs(
  components: readonly BootComponent[],
  banks: readonly PcrBank[] = BOOT_BANKS,
): ExpectedPcrs {
  checkBootComponents(components);
  const result: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  for (const bank of new Set<PcrBank>(['sha256', ...banks])) {
    const values: Record<number, Buffer> = {};
    for (const { pcr, measured } of components) {
      // The simulated platform starts at locality 0, so every boot PCR (0-14) resets to zero.
      const current = values[pcr] ?? Buffer.alloc(PCR_DIGEST_SIZE[bank]);
      const digest = createHash(bank).update(measured).digest();
      values[pcr] = createHash(bank).update(current).update(digest).digest();
    }
    result[bank] = values;
  }
  return { ...result, sha256: result.sha256 ?? {} };
}
