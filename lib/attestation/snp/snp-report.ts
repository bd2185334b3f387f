// The SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI specification, 1184 bytes, little-endian): every
// field decoded, reserved fields checked to be zero. Parsing proves nothing; verifySnpReport does.
import { shortHex } from '../../hex.js';
import {
  decodeGuestPolicy,
  decodePlatformInfo,
  GUEST_POLICY_MUST_BE_ONE,
  type SnpGuestPolicy,
  type SnpPlatformInfo,
} from './guest-policy.js';
import { snpError } from './snp-error.js';
import { productFromCpuid, type SnpProduct } from './snp-product.js';

export const SNP_REPORT_SIZE = 1184;
/** The signature covers bytes [0, SNP_SIGNED_LENGTH). */
export const SNP_SIGNED_LENGTH = 0x2a0;
export const SNP_SUPPORTED_VERSIONS = [2, 3, 4, 5] as const;
/** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384, the only one defined. */
export const SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;

export type SnpSigningKey = 'vcek' | 'vlek' | 'none';

export interface SnpCpuid {
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
}

export interface SnpReport {
  /** The exact 1184 bytes the report was parsed from. */
  readonly raw: Buffer;
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: SnpGuestPolicy;
  readonly familyId: Buffer;
  readonly imageId: Buffer;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  /** TCB_VERSION values as raw u64; decode with decodeTcb(raw, product). */
  readonly currentTcb: bigint;
  readonly platformInfo: SnpPlatformInfo;
  readonly authorKeyEn: boolean;
  readonly maskChipKey: boolean;
  readonly signingKey: SnpSigningKey;
  readonly reportData: Buffer;
  readonly measurement: Buffer;
  readonly hostData: Buffer;
  readonly idKeyDigest: Buffer;
  readonly authorKeyDigest: Buffer;
  readonly reportId: Buffer;
  readonly reportIdMa: Buffer;
  readonly reportedTcb: bigint;
  /** CPUID family/model/stepping, from version 3 on. */
  readonly cpuid: SnpCpuid | undefined;
  /** The product the CPUID names, when there is a CPUID and it is known. */
  readonly product: SnpProduct | undefined;
  readonly chipId: Buffer;
  readonly committedTcb: bigint;
  readonly currentBuild: number;
  readonly currentMinor: number;
  readonly currentMajor: number;
  readonly committedBuild: number;
  readonly committedMinor: number;
  readonly committedMajor: number;
  readonly launchTcb: bigint;
  /** Mitigation vectors, from version 5 on. */
  readonly launchMitVector: bigint | undefined;
  readonly currentMitVector: bigint | undefined;
  /** Signature R and S as stored: 72 bytes each, little-endian. */
  readonly signatureR: Buffer;
  readonly signatureS: Buffer;
}

function malformed(message: string): Error {
  return snpError('SNP_REPORT_MALFORMED', message);
}

function requireZero(bytes: Buffer, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) {
      throw malformed(
        `SNP report ${what} (bytes 0x${from.toString(16)}..0x${to.toString(16)}) expected zero, got ${shortHex(bytes.subarray(from, to), 8)}`,
      );
    }
  }
}

const SIGNING_KEYS: Partial<Record<number, SnpSigningKey>> = { 0: 'vcek', 1: 'vlek', 7: 'none' };

/** Parses a raw ATTESTATION_REPORT. Throws VerificationError('SNP_REPORT_MALFORMED'). */
export function parseSnpReport(bytes: Uint8Array): SnpReport {
  if (!(bytes instanceof Uint8Array)) throw malformed('Expected the SNP report as bytes');
  if (bytes.length !== SNP_REPORT_SIZE) {
    throw malformed(`SNP report expected ${SNP_REPORT_SIZE} bytes, got ${bytes.length}`);
  }
  const raw = Buffer.from(bytes);
  const slice = (offset: number, length: number): Buffer => Buffer.from(raw.subarray(offset, offset + length));

  const version = raw.readUInt32LE(0x00);
  if (!(SNP_SUPPORTED_VERSIONS as readonly number[]).includes(version)) {
    throw malformed(`SNP report version expected one of ${SNP_SUPPORTED_VERSIONS.join(', ')}, got ${version}`);
  }
  const policyRaw = raw.readBigUInt64LE(0x08);
  if ((policyRaw & GUEST_POLICY_MUST_BE_ONE) === 0n) {
    throw malformed(
      `SNP guest policy bit 17 (reserved, must be one) expected 1, got 0 (policy 0x${policyRaw.toString(16)})`,
    );
  }
  const keyInfo = raw.readUInt32LE(0x48);
  const signingKeyValue = (keyInfo >> 2) & 0x7;
  const signingKey = SIGNING_KEYS[signingKeyValue];
  if (signingKey === undefined)
    throw malformed(`SNP report SIGNING_KEY expected 0 (VCEK), 1 (VLEK) or 7 (none), got ${signingKeyValue}`);
  if (keyInfo >>> 5 !== 0)
    throw malformed(`SNP report key-info bits 5..31 expected zero, got 0x${keyInfo.toString(16)}`);
  requireZero(raw, 0x4c, 0x50, 'reserved field after key info');

  let cpuid: SnpCpuid | undefined;
  if (version >= 3) {
    cpuid = { family: raw[0x188] ?? 0, model: raw[0x189] ?? 0, stepping: raw[0x18a] ?? 0 };
    requireZero(raw, 0x18b, 0x1a0, 'reserved field after CPUID');
  } else {
    requireZero(raw, 0x188, 0x1a0, 'reserved field after REPORTED_TCB');
  }
  requireZero(raw, 0x1eb, 0x1ec, 'reserved byte after CURRENT version');
  requireZero(raw, 0x1ef, 0x1f0, 'reserved byte after COMMITTED version');
  requireZero(raw, version >= 5 ? 0x208 : 0x1f8, SNP_SIGNED_LENGTH, 'reserved field after LAUNCH_TCB');

  const signatureR = slice(0x2a0, 72);
  const signatureS = slice(0x2e8, 72);
  // P-384 scalars are 48 bytes; the upper 24 bytes of each 72-byte field and the rest of the area are zero.
  requireZero(raw, 0x2a0 + 48, 0x2a0 + 72, 'signature R high bytes');
  requireZero(raw, 0x2e8 + 48, 0x2e8 + 72, 'signature S high bytes');
  requireZero(raw, 0x330, SNP_REPORT_SIZE, 'reserved signature area');

  return {
    raw,
    version,
    guestSvn: raw.readUInt32LE(0x04),
    policy: decodeGuestPolicy(policyRaw),
    familyId: slice(0x10, 16),
    imageId: slice(0x20, 16),
    vmpl: raw.readUInt32LE(0x30),
    signatureAlgo: raw.readUInt32LE(0x34),
    currentTcb: raw.readBigUInt64LE(0x38),
    platformInfo: decodePlatformInfo(raw.readBigUInt64LE(0x40)),
    authorKeyEn: (keyInfo & 1) === 1,
    maskChipKey: (keyInfo & 2) === 2,
    signingKey,
    reportData: slice(0x50, 64),
    measurement: slice(0x90, 48),
    hostData: slice(0xc0, 32),
    idKeyDigest: slice(0xe0, 48),
    authorKeyDigest: slice(0x110, 48),
    reportId: slice(0x140, 32),
    reportIdMa: slice(0x160, 32),
    reportedTcb: raw.readBigUInt64LE(0x180),
    cpuid,
    product: cpuid ? productFromCpuid(cpuid.family, cpuid.model) : undefined,
    chipId: slice(0x1a0, 64),
    committedTcb: raw.readBigUInt64LE(0x1e0),
    currentBuild: raw[0x1e8] ?? 0,
    currentMinor: raw[0x1e9] ?? 0,
    currentMajor: raw[0x1ea] ?? 0,
    committedBuild: raw[0x1ec] ?? 0,
    committedMinor: raw[0x1ed] ?? 0,
    committedMajor: raw[0x1ee] ?? 0,
    launchTcb: raw.readBigUInt64LE(0x1f0),
    launchMitVector: version >= 5 ? raw.readBigUInt64LE(0x1f8) : undefined,
    currentMitVector: version >= 5 ? raw.readBigUInt64LE(0x200) : undefined,
    signatureR,
    signatureS,
  };
}
