// Attestation variants and which evidence each one must carry in its document.

export const VARIANTS = [
  'qemu-vtpm',
  'gcp-vtpm',
  'azure-trusted-launch',
  'sev-snp',
  'tdx',
  'gcp-sev-snp',
  'aws-sev-snp',
  'azure-sev-snp',
  'azure-tdx',
] as const;
export type Variant = (typeof VARIANTS)[number];

export interface VariantParts {
  /** Whether the document must (or may not) carry TPM evidence. */
  readonly tpm: 'required' | 'optional';
  /** Which TEE evidence the document must carry; `none` forbids both. */
  readonly tee: 'snp' | 'tdx' | 'none';
  /** Azure wraps the hardware report in an HCL report that binds the vTPM key; it is then mandatory. */
  readonly hclReport: boolean;
}

export const VARIANT_PARTS: Readonly<Record<Variant, VariantParts>> = {
  'qemu-vtpm': { tpm: 'required', tee: 'none', hclReport: false },
  'gcp-vtpm': { tpm: 'required', tee: 'none', hclReport: false },
  'azure-trusted-launch': { tpm: 'required', tee: 'none', hclReport: false },
  // Bare-metal CVMs attest with the TEE alone; an SVSM/TD vTPM may add TPM evidence.
  'sev-snp': { tpm: 'optional', tee: 'snp', hclReport: false },
  tdx: { tpm: 'optional', tee: 'tdx', hclReport: false },
  'gcp-sev-snp': { tpm: 'required', tee: 'snp', hclReport: false },
  'aws-sev-snp': { tpm: 'required', tee: 'snp', hclReport: false },
  'azure-sev-snp': { tpm: 'required', tee: 'snp', hclReport: true },
  'azure-tdx': { tpm: 'required', tee: 'tdx', hclReport: true },
};

export function isVariant(value: unknown): value is Variant {
  return typeof value === 'string' && (VARIANTS as readonly string[]).includes(value);
}
