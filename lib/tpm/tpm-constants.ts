// TPM 2.0 constants (TCG TPM 2.0 Library Part 2) used by the parsers, names and credential code.

/** TPM_ALG_ID values. */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  CTR: 0x0040,
  OFB: 0x0041,
  CBC: 0x0042,
  CFB: 0x0043,
  ECB: 0x0044,
} as const;

const ALG_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(TPM_ALG).map(([name, id]) => [id, name]));

/** `TPM_ALG_SHA256 (0x000b)` style text for messages. */
export function algName(alg: number): string {
  const hex = `0x${alg.toString(16).padStart(4, '0')}`;
  const name = ALG_NAMES.get(alg);
  return name === undefined ? `unknown algorithm ${hex}` : `TPM_ALG_${name} (${hex})`;
}

/** TPM_ECC_CURVE values. */
export const TPM_ECC_CURVE = {
  NIST_P192: 0x0001,
  NIST_P224: 0x0002,
  NIST_P256: 0x0003,
  NIST_P384: 0x0004,
  NIST_P521: 0x0005,
} as const;

/** TPM_GENERATED_VALUE: every TPMS_ATTEST produced by a TPM starts with it ("\xffTCG"). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** TPM_ST attestation structure tags. */
export const TPM_ST = {
  ATTEST_NV: 0x8014,
  ATTEST_COMMAND_AUDIT: 0x8015,
  ATTEST_SESSION_AUDIT: 0x8016,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_TIME: 0x8019,
  ATTEST_CREATION: 0x801a,
  ATTEST_NV_DIGEST: 0x801c,
} as const;

export const TPM_ST_ATTEST_QUOTE = TPM_ST.ATTEST_QUOTE;

const ST_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(TPM_ST).map(([name, id]) => [id, name]));

/** `TPM_ST_ATTEST_QUOTE 8018` style text for messages. */
export function attestTypeName(type: number): string {
  const hex = type.toString(16).padStart(4, '0');
  const name = ST_NAMES.get(type);
  return name === undefined ? `unknown tag ${hex}` : `TPM_ST_${name} ${hex}`;
}

/** TPMA_OBJECT bits. */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
  x509sign: 1 << 19,
} as const;

export type TpmaObjectFlag = keyof typeof TPMA_OBJECT;

/** Names of the TPMA_OBJECT bits set in `attributes`. */
export function objectAttributeFlags(attributes: number): TpmaObjectFlag[] {
  return (Object.keys(TPMA_OBJECT) as TpmaObjectFlag[]).filter((flag) => (attributes & TPMA_OBJECT[flag]) !== 0);
}

/** Permanent hierarchy handles (TPM_RH); their qualified name is the 4-byte handle. */
export const TPM_RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  ENDORSEMENT: 0x4000000b,
  PLATFORM: 0x4000000c,
} as const;
