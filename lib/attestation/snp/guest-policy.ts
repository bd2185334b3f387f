// The 64-bit guest POLICY a VM was launched with and the PLATFORM_INFO flags of the host (SEV-SNP ABI
// specification, "GUEST_POLICY" and "PLATFORM_INFO"). Decoded into named booleans so that policy code
// never tests bit positions.

export interface SnpGuestPolicy {
  readonly raw: bigint;
  /** Minimum firmware ABI the guest requires. */
  readonly abiMinor: number;
  readonly abiMajor: number;
  readonly smtAllowed: boolean;
  readonly migrateMaAllowed: boolean;
  readonly debugAllowed: boolean;
  readonly singleSocketRequired: boolean;
  readonly cxlAllowed: boolean;
  readonly memAes256XtsRequired: boolean;
  readonly raplDisabledRequired: boolean;
  readonly ciphertextHidingRequired: boolean;
  readonly pageSwapDisabled: boolean;
  /** Bits 26..63: reserved today; non-zero means a newer ABI this code does not understand. */
  readonly reservedBits: bigint;
}

export interface SnpPlatformInfo {
  readonly raw: bigint;
  readonly smtEnabled: boolean;
  readonly tsmeEnabled: boolean;
  readonly eccEnabled: boolean;
  readonly raplDisabled: boolean;
  readonly ciphertextHidingEnabled: boolean;
  readonly aliasCheckComplete: boolean;
  readonly tioEnabled: boolean;
}

/** Bit 17 of the guest policy is reserved and must be one. */
export const GUEST_POLICY_MUST_BE_ONE = 1n << 17n;

function bit(raw: bigint, index: number): boolean {
  return ((raw >> BigInt(index)) & 1n) === 1n;
}

export function decodeGuestPolicy(raw: bigint): SnpGuestPolicy {
  return {
    raw,
    abiMinor: Number(raw & 0xffn),
    abiMajor: Number((raw >> 8n) & 0xffn),
    smtAllowed: bit(raw, 16),
    migrateMaAllowed: bit(raw, 18),
    debugAllowed: bit(raw, 19),
    singleSocketRequired: bit(raw, 20),
    cxlAllowed: bit(raw, 21),
    memAes256XtsRequired: bit(raw, 22),
    raplDisabledRequired: bit(raw, 23),
    ciphertextHidingRequired: bit(raw, 24),
    pageSwapDisabled: bit(raw, 25),
    reservedBits: raw >> 26n,
  };
}

export function decodePlatformInfo(raw: bigint): SnpPlatformInfo {
  return {
    raw,
    smtEnabled: bit(raw, 0),
    tsmeEnabled: bit(raw, 1),
    eccEnabled: bit(raw, 2),
    raplDisabled: bit(raw, 3),
    ciphertextHidingEnabled: bit(raw, 4),
    aliasCheckComplete: bit(raw, 5),
    tioEnabled: bit(raw, 7),
  };
}
