// EFI GUIDs: 16 bytes, first three fields little-endian, printed in the usual 8-4-4-4-12 form.

export const EFI_GUID = {
  /** EFI_GLOBAL_VARIABLE: SecureBoot, PK, KEK, Boot####, BootOrder. */
  GLOBAL_VARIABLE: '8be4df61-93ca-11d2-aa0d-00e098032b8c',
  /** EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx. */
  IMAGE_SECURITY_DATABASE: 'd719b2cb-3d3a-4596-a3bc-dad00e67656f',
  CERT_X509: 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072',
  CERT_SHA256: 'c1c41626-504c-4092-aca9-41f936934328',
} as const;

/** Formats the 16 bytes at `bytes[0..16)`; the caller has checked the length. */
export function formatEfiGuid(bytes: Buffer): string {
  const d1 = bytes.readUInt32LE(0).toString(16).padStart(8, '0');
  const d2 = bytes.readUInt16LE(4).toString(16).padStart(4, '0');
  const d3 = bytes.readUInt16LE(6).toString(16).padStart(4, '0');
  const d4 = bytes.subarray(8, 10).toString('hex');
  const d5 = bytes.subarray(10, 16).toString('hex');
  return `${d1}-${d2}-${d3}-${d4}-${d5}`;
}
