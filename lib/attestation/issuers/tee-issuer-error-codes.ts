// Error codes of the TEE issuers (configfs-tsm and the legacy guest devices). Codes of the ioctl layer itself
// (TEE_IOCTL_FAILED, TEE_FIRMWARE_ERROR) are declared in native/tee-guest.ts.
export const TEE_ISSUER_ERROR_CODES = {
  /** Neither configfs-tsm nor the legacy guest device is there; the message names both and the kernel needs. */
  TEE_UNAVAILABLE: 'TEE_UNAVAILABLE',
  /** Another writer changed the report entry between our writes and our read (generation moved too far). */
  TEE_GENERATION_RACE: 'TEE_GENERATION_RACE',
  /** configfs-tsm is backed by a different TEE than the one asked for (e.g. tdx_guest when sev_guest was wanted). */
  TEE_PROVIDER_MISMATCH: 'TEE_PROVIDER_MISMATCH',
  /** The kernel refused or failed a configfs-tsm step (mkdir, write, read). */
  TEE_REPORT_FAILED: 'TEE_REPORT_FAILED',
  /** The SNP certificate table (auxblob / extended report certificates) is malformed. */
  TEE_CERT_TABLE_MALFORMED: 'TEE_CERT_TABLE_MALFORMED',
} as const;

export type TeeIssuerErrorCode = (typeof TEE_ISSUER_ERROR_CODES)[keyof typeof TEE_ISSUER_ERROR_CODES];
