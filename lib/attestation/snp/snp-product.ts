// AMD EPYC generations that run SEV-SNP, as named by AMD's key distribution service (KDS), and how
// a VCEK productName ("Milan-B0", "Turin") or a v3 report's CPUID maps onto them.
import { snpError } from './snp-error.js';

export const SNP_PRODUCTS = ['Milan', 'Genoa', 'Turin'] as const;
export type SnpProduct = (typeof SNP_PRODUCTS)[number];

export interface SnpProductName {
  readonly product: SnpProduct;
  /** The stepping suffix ("B0"), absent for VLEKs and Turin VCEKs. */
  readonly steppingName: string | undefined;
  /** go-sev-guest's machine stepping: the digit of the suffix ("B1" → 1). */
  readonly stepping: number | undefined;
}

export function isSnpProduct(value: unknown): value is SnpProduct {
  return typeof value === 'string' && (SNP_PRODUCTS as readonly string[]).includes(value);
}

/** "Milan-B0" → Milan stepping B0; "Turin" → Turin. Throws SNP_PRODUCT_UNKNOWN for other names. */
export function parseProductName(name: string): SnpProductName {
  const match = /^([A-Za-z]+)(?:-([A-Z])([0-9]))?$/.exec(name);
  const product = match?.[1];
  if (!match || !isSnpProduct(product)) {
    throw snpError(
      'SNP_PRODUCT_UNKNOWN',
      `Expected an SEV-SNP product name such as Milan-B0, Genoa-B1 or Turin, got "${name.slice(0, 32)}"`,
    );
  }
  const letter = match[2];
  const digit = match[3];
  return {
    product,
    steppingName: letter !== undefined && digit !== undefined ? `${letter}${digit}` : undefined,
    stepping: digit !== undefined ? Number(digit) : undefined,
  };
}

/** The product of a report's CPUID family/model (report version 3 and later); undefined when unknown. */
export function productFromCpuid(family: number, model: number): SnpProduct | undefined {
  if (family === 0x19 && model <= 0x0f) return 'Milan';
  // Genoa, and Bergamo/Siena which share Genoa's keys at KDS.
  if (family === 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))) return 'Genoa';
  if (family === 0x1a && model <= 0x1f) return 'Turin';
  return undefined;
}
