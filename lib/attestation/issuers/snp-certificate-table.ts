// The SEV-SNP certificate table the host hands out with an extended report (GHCB spec, "SNP Extended Guest
// Request"; configfs-tsm auxblob): 24-byte entries {GUID, offset u32 LE, length u32 LE} ended by an all-zero
// entry; offsets count from the start of the table. The host is untrusted: every entry is bounds-checked.
import { InputError } from '../../errors.js';
import { TEE_ISSUER_ERROR_CODES as CODES } from './tee-issuer-error-codes.js';

export type SnpCertificateKind = 'vcek' | 'vlek' | 'ask' | 'ark' | 'other';

/** GUIDs of the GHCB certificate table, in the byte order they appear in the table. */
export const SNP_CERTIFICATE_GUIDS: Readonly<Record<Exclude<SnpCertificateKind, 'other'>, string>> = {
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  vlek: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
};

export interface SnpCertificateEntry {
  readonly guid: string;
  readonly kind: SnpCertificateKind;
  /** The certificate as the host stored it (DER for VCEK/VLEK/ASK/ARK). */
  readonly data: Buffer;
}

const ENTRY_LENGTH = 24;

function guidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function guidBytes(guid: string): Buffer {
  const hex = guid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) {
    throw new InputError('INVALID_ARGUMENT', `Expected a GUID like 63da758d-e664-… but received "${guid}"`);
  }
  return Buffer.from(hex, 'hex');
}

function kindOf(guid: string): SnpCertificateKind {
  for (const [kind, known] of Object.entries(SNP_CERTIFICATE_GUIDS)) {
    if (known === guid) return kind as SnpCertificateKind;
  }
  return 'other';
}

function malformed(message: string): InputError {
  return new InputError(CODES.TEE_CERT_TABLE_MALFORMED, `SNP certificate table: ${message}`);
}

/**
 * Parses a certificate table. An empty or all-zero table (host supplies no certificates) gives [].
 * Entries must lie inside the buffer; a table without its all-zero terminator is refused.
 */
export function parseSnpCertificateTable(table: Uint8Array): SnpCertificateEntry[] {
  const bytes = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  const entries: SnpCertificateEntry[] = [];
  if (bytes.length === 0) return entries;
  for (let at = 0; ; at += ENTRY_LENGTH) {
    if (at + ENTRY_LENGTH > bytes.length) {
      throw malformed(`expected an all-zero terminating entry within ${bytes.length} bytes, found none`);
    }
    const header = bytes.subarray(at, at + ENTRY_LENGTH);
    if (header.every((b) => b === 0)) return entries;
    const guid = guidText(header.subarray(0, 16));
    const offset = header.readUInt32LE(16);
    const length = header.readUInt32LE(20);
    if (offset + length > bytes.length || (length > 0 && offset < at + ENTRY_LENGTH * 2)) {
      throw malformed(
        `entry ${entries.length} (${guid}) expected inside the table after its headers, ` +
          `got offset ${offset} length ${length} in ${bytes.length} bytes`,
      );
    }
    entries.push({ guid, kind: kindOf(guid), data: Buffer.from(bytes.subarray(offset, offset + length)) });
  }
}

/** Writes a certificate table (for test fixtures and tools); inverse of parseSnpCertificateTable. */
export function encodeSnpCertificateTable(entries: readonly { guid: string; data: Uint8Array }[]): Buffer {
  const headerLength = (entries.length + 1) * ENTRY_LENGTH;
  const headers = Buffer.alloc(headerLength);
  const bodies: Buffer[] = [];
  let offset = headerLength;
  entries.forEach((entry, index) => {
    guidBytes(entry.guid).copy(headers, index * ENTRY_LENGTH);
    headers.writeUInt32LE(offset, index * ENTRY_LENGTH + 16);
    headers.writeUInt32LE(entry.data.length, index * ENTRY_LENGTH + 20);
    bodies.push(Buffer.from(entry.data));
    offset += entry.data.length;
  });
  return Buffer.concat([headers, ...bodies]);
}
