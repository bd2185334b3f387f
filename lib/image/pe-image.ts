// The PE/COFF headers a UEFI image is measured by: the offsets Authenticode skips, the section table and the
// certificate table. Every offset and length is checked against the file before use, so a truncated or
// lying file becomes InputError PE_INVALID instead of a RangeError or a short hash.
import { InputError } from '../errors.js';

export const PE_INVALID = 'PE_INVALID';

const PE32_MAGIC = 0x10b;
const PE32_PLUS_MAGIC = 0x20b;
const SECTION_HEADER_BYTES = 40;
/** Index of the certificate table (IMAGE_DIRECTORY_ENTRY_SECURITY) in the data directories. */
const SECURITY_DIRECTORY = 4;

export interface PeSection {
  /** The 8-byte name up to its first NUL (section names longer than 8 bytes are not resolved). */
  readonly name: string;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly sizeOfRawData: number;
  readonly pointerToRawData: number;
}

export interface PeImage {
  readonly format: 'PE32' | 'PE32+';
  /** File offset of the 4-byte CheckSum field of the optional header. */
  readonly checksumOffset: number;
  /** File offset of the 8-byte certificate-table directory entry; undefined when the image has fewer directories. */
  readonly certificateEntryOffset: number | undefined;
  readonly sizeOfHeaders: number;
  readonly sizeOfImage: number;
  /** Sections in table order. */
  readonly sections: readonly PeSection[];
  /** The attribute certificate table (file offset and size); size 0 when the image is unsigned. */
  readonly certificateTable: { readonly offset: number; readonly size: number };
}

function invalid(what: string, found: string): InputError {
  return new InputError(
    PE_INVALID,
    `Expected ${what}, found ${found}; pass an unmodified UEFI PE/COFF image (a UKI or a kernel)`,
  );
}

/** Parses and bounds-checks the headers of a PE/COFF image (PE32 or PE32+). */
export function parsePeImage(pe: Buffer): PeImage {
  const u16 = (at: number, what: string): number => {
    if (at + 2 > pe.length) throw invalid(what, `the file ending at byte ${pe.length}`);
    return pe.readUInt16LE(at);
  };
  const u32 = (at: number, what: string): number => {
    if (at + 4 > pe.length) throw invalid(what, `the file ending at byte ${pe.length}`);
    return pe.readUInt32LE(at);
  };
  if (pe.length < 2 || pe[0] !== 0x4d || pe[1] !== 0x5a) {
    throw invalid('the DOS signature "MZ" at byte 0', pe.length < 2 ? `${pe.length} bytes` : 'other bytes');
  }
  const peOffset = u32(0x3c, 'the PE header offset (e_lfanew) at byte 0x3c');
  if (u32(peOffset, `the signature "PE\\0\\0" at byte ${peOffset}`) !== 0x00004550) {
    throw invalid(`the signature "PE\\0\\0" at byte ${peOffset}`, 'other bytes');
  }
  const coff = peOffset + 4;
  const numberOfSections = u16(coff + 2, 'the COFF header');
  const sizeOfOptionalHeader = u16(coff + 16, 'the COFF header');
  const optional = coff + 20;
  const magic = u16(optional, 'the optional header');
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) {
    throw invalid('optional-header magic 0x10b (PE32) or 0x20b (PE32+)', `0x${magic.toString(16)}`);
  }
  const plus = magic === PE32_PLUS_MAGIC;
  const directoriesOffset = optional + (plus ? 112 : 96);
  const numberOfDirectories = u32(optional + (plus ? 108 : 92), 'the optional header');
  const optionalEnd = optional + sizeOfOptionalHeader;
  if (numberOfDirectories > 16 || directoriesOffset + 8 * numberOfDirectories > optionalEnd) {
    throw invalid(
      `at most 16 data directories inside the ${sizeOfOptionalHeader}-byte optional header`,
      `${numberOfDirectories}`,
    );
  }
  const sizeOfImage = u32(optional + 56, 'the optional header');
  const sizeOfHeaders = u32(optional + 60, 'the optional header');
  const checksumOffset = optional + 64;
  const sectionTableEnd = optionalEnd + numberOfSections * SECTION_HEADER_BYTES;
  if (sectionTableEnd > pe.length) {
    throw invalid(`${numberOfSections} section headers ending at byte ${sectionTableEnd}`, `${pe.length} bytes`);
  }
  if (sizeOfHeaders > pe.length || sizeOfHeaders < sectionTableEnd) {
    throw invalid(
      `SizeOfHeaders between the end of the section table (${sectionTableEnd}) and the file size (${pe.length})`,
      `${sizeOfHeaders}`,
    );
  }
  const sections: PeSection[] = [];
  for (let i = 0; i < numberOfSections; i++) {
    const at = optionalEnd + i * SECTION_HEADER_BYTES;
    const rawName = pe.subarray(at, at + 8);
    const nul = rawName.indexOf(0);
    const section: PeSection = {
      name: rawName.subarray(0, nul === -1 ? 8 : nul).toString('latin1'),
      virtualSize: pe.readUInt32LE(at + 8),
      virtualAddress: pe.readUInt32LE(at + 12),
      sizeOfRawData: pe.readUInt32LE(at + 16),
      pointerToRawData: pe.readUInt32LE(at + 20),
    };
    if (section.sizeOfRawData > 0 && section.pointerToRawData + section.sizeOfRawData > pe.length) {
      throw invalid(
        `section ${JSON.stringify(section.name)} inside the file (${pe.length} bytes)`,
        `its data at bytes ${section.pointerToRawData}-${section.pointerToRawData + section.sizeOfRawData}`,
      );
    }
    sections.push(section);
  }
  let certificateEntryOffset: number | undefined;
  let certificateTable = { offset: 0, size: 0 };
  if (numberOfDirectories > SECURITY_DIRECTORY) {
    certificateEntryOffset = directoriesOffset + 8 * SECURITY_DIRECTORY;
    // Unlike the other directories, this one holds a file offset, not an RVA.
    const offset = u32(certificateEntryOffset, 'the certificate-table entry');
    const size = u32(certificateEntryOffset + 4, 'the certificate-table entry');
    if (size > 0 && (offset < sizeOfHeaders || offset + size > pe.length)) {
      throw invalid(
        `the certificate table inside the file (${pe.length} bytes) after the headers`,
        `bytes ${offset}-${offset + size}`,
      );
    }
    certificateTable = { offset, size };
  }
  return {
    format: plus ? 'PE32+' : 'PE32',
    checksumOffset,
    certificateEntryOffset,
    sizeOfHeaders,
    sizeOfImage,
    sections,
    certificateTable,
  };
}
