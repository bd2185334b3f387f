// The Authenticode SHA-256 digest of a PE/COFF image: what OVMF measures into PCR 4 for every EFI application it
// starts (EV_EFI_BOOT_SERVICES_APPLICATION). Follows the PE/COFF Authenticode spec as EDK2's measurement code
// implements it (Tcg2Dxe MeasurePeImage): the headers without CheckSum and the certificate-table entry, then the
// sections with raw data in file order, then whatever follows them except the certificate table.
import { createHash } from 'node:crypto';
import { parsePeImage, PE_INVALID } from './pe-image.js';
import { InputError } from '../errors.js';

export function authenticodeSha256(pe: Buffer): Buffer {
  const image = parsePeImage(pe);
  const hash = createHash('sha256');
  const checksumEnd = image.checksumOffset + 4;
  hash.update(pe.subarray(0, image.checksumOffset));
  if (image.certificateEntryOffset === undefined) {
    hash.update(pe.subarray(checksumEnd, image.sizeOfHeaders));
  } else {
    hash.update(pe.subarray(checksumEnd, image.certificateEntryOffset));
    hash.update(pe.subarray(image.certificateEntryOffset + 8, image.sizeOfHeaders));
  }
  let hashedBytes = image.sizeOfHeaders;
  // A stable sort keeps table order for sections that share an offset, as EDK2's insertion sort does.
  const withData = image.sections
    .filter((section) => section.sizeOfRawData > 0)
    .sort((a, b) => a.pointerToRawData - b.pointerToRawData);
  for (const section of withData) {
    hash.update(pe.subarray(section.pointerToRawData, section.pointerToRawData + section.sizeOfRawData));
    hashedBytes += section.sizeOfRawData;
  }
  const certificateSize = image.certificateTable.size;
  if (pe.length > hashedBytes) {
    if (pe.length < hashedBytes + certificateSize) {
      throw new InputError(
        PE_INVALID,
        `Expected the certificate table (${certificateSize} bytes) after the ${hashedBytes} hashed bytes, found a file of ${pe.length} bytes; pass an unmodified UEFI PE/COFF image`,
      );
    }
    hash.update(pe.subarray(hashedBytes, pe.length - certificateSize));
  }
  return hash.digest();
}
