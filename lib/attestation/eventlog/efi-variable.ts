// UEFI_VARIABLE_DATA (PFP 10.4.7) and EFI_SIGNATURE_LIST (UEFI 32.4.1) as measured into PCR 1 and 7.
import { formatEfiGuid, EFI_GUID } from './efi-guid.js';
import { malformed } from './eventlog-errors.js';
import { LogReader } from './log-reader.js';

export interface UefiVariable {
  readonly vendorGuid: string;
  readonly name: string;
  readonly value: Buffer;
}

export interface SignatureEntry {
  readonly signatureType: string;
  readonly owner: string;
  readonly data: Buffer;
}

/**
 * Parses UEFI_VARIABLE_DATA; the structure must fill `data` exactly unless `allowTrailingBytes` (shim before
 * rhboot/shim@8a27a48 logs authority events with bytes after the declared value, go-attestation issue #157).
 */
export function parseUefiVariableData(data: Buffer, allowTrailingBytes = false): UefiVariable {
  const reader = new LogReader(data);
  const vendorGuid = formatEfiGuid(reader.take(16, 'UEFI_VARIABLE_DATA.VariableName GUID'));
  const nameLength = reader.u64('UEFI_VARIABLE_DATA.UnicodeNameLength');
  const dataLength = reader.u64('UEFI_VARIABLE_DATA.VariableDataLength');
  const nameBytes = boundedLength(nameLength * 2n, reader, 'UnicodeName');
  const name = reader.take(nameBytes, 'UEFI_VARIABLE_DATA.UnicodeName').toString('utf16le');
  const value = reader.take(boundedLength(dataLength, reader, 'VariableData'), 'UEFI_VARIABLE_DATA.VariableData');
  if (reader.remaining !== 0 && !allowTrailingBytes) {
    throw malformed('end of UEFI_VARIABLE_DATA', reader.offset, `${reader.remaining} trailing bytes`);
  }
  return { vendorGuid, name, value };
}

/** Parses a concatenation of EFI_SIGNATURE_LISTs (the value of PK, KEK, db, dbx). */
export function parseSignatureLists(value: Buffer): SignatureEntry[] {
  const reader = new LogReader(value);
  const entries: SignatureEntry[] = [];
  while (reader.remaining > 0) {
    const start = reader.offset;
    const signatureType = formatEfiGuid(reader.take(16, 'EFI_SIGNATURE_LIST.SignatureType'));
    const listSize = reader.u32('EFI_SIGNATURE_LIST.SignatureListSize');
    const headerSize = reader.u32('EFI_SIGNATURE_LIST.SignatureHeaderSize');
    const signatureSize = reader.u32('EFI_SIGNATURE_LIST.SignatureSize');
    const bodySize = listSize - 28 - headerSize;
    if (bodySize < 0 || listSize - 28 > reader.remaining) {
      throw malformed('EFI_SIGNATURE_LIST size within the variable', start, `SignatureListSize ${listSize}`);
    }
    if (signatureSize < 16 || bodySize % signatureSize !== 0) {
      throw malformed('SignatureSize ≥ 16 dividing the list body', start, `SignatureSize ${signatureSize}`);
    }
    reader.take(headerSize, 'EFI_SIGNATURE_LIST.SignatureHeader');
    for (let i = 0; i < bodySize / signatureSize; i++) {
      const owner = formatEfiGuid(reader.take(16, 'EFI_SIGNATURE_DATA.SignatureOwner'));
      entries.push({
        signatureType,
        owner,
        data: reader.take(signatureSize - 16, 'EFI_SIGNATURE_DATA.SignatureData'),
      });
    }
  }
  return entries;
}

export function isX509Entry(entry: SignatureEntry): boolean {
  return entry.signatureType === EFI_GUID.CERT_X509;
}

export function isSha256Entry(entry: SignatureEntry): boolean {
  return entry.signatureType === EFI_GUID.CERT_SHA256;
}

function boundedLength(length: bigint, reader: LogReader, what: string): number {
  if (length > BigInt(reader.remaining)) {
    throw malformed(
      `${what} within the event data`,
      reader.offset,
      `length ${length} with ${reader.remaining} bytes left`,
    );
  }
  return Number(length);
}
