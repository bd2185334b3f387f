// The 64-bit TCB_VERSION of SEV-SNP: security patch levels (SPLs) of each firmware component. Its
// byte layout depends on the product: Turin added an FMC byte and moved the others.
import type { SnpProduct } from './snp-product.js';

export const TCB_COMPONENTS = ['fmc', 'bootloader', 'tee', 'snp', 'microcode'] as const;
export type TcbComponent = (typeof TCB_COMPONENTS)[number];

export interface TcbVersion {
  readonly raw: bigint;
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Only on Turin and later. */
  readonly fmc?: number;
}

function byteAt(raw: bigint, index: number): number {
  return Number((raw >> BigInt(index * 8)) & 0xffn);
}

/** Decodes a TCB_VERSION: Milan/Genoa = BL, TEE, 4 reserved, SNP, uCode; Turin = FMC, BL, TEE, SNP, 3 reserved, uCode. */
export function decodeTcb(raw: bigint, product: SnpProduct): TcbVersion {
  if (product === 'Turin') {
    return {
      raw,
      fmc: byteAt(raw, 0),
      bootloader: byteAt(raw, 1),
      tee: byteAt(raw, 2),
      snp: byteAt(raw, 3),
      microcode: byteAt(raw, 7),
    };
  }
  return { raw, bootloader: byteAt(raw, 0), tee: byteAt(raw, 1), snp: byteAt(raw, 6), microcode: byteAt(raw, 7) };
}

/** The components a product's TCB has, in KDS order. */
export function tcbComponents(product: SnpProduct): readonly TcbComponent[] {
  return product === 'Turin' ? TCB_COMPONENTS : TCB_COMPONENTS.slice(1);
}

export function formatTcb(tcb: TcbVersion): string {
  const fmc = tcb.fmc === undefined ? '' : `FMC ${tcb.fmc} `;
  return `${fmc}BL ${tcb.bootloader} TEE ${tcb.tee} SNP ${tcb.snp} uCode ${tcb.microcode} (0x${tcb.raw.toString(16).padStart(16, '0')})`;
}
