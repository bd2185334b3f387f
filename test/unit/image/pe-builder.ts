// Builds small, valid PE/COFF images for tests (the same layout a linker writes: headers, then section data at
// FileAlignment, then optional trailing data and an 8-aligned certificate table), so every header field a check
// reads can be set to a wrong value one at a time.
export interface PeSectionSpec {
  readonly name: string;
  readonly data: Buffer;
  /** Default: data.length. */
  readonly virtualSize?: number;
}

export interface PeSpec {
  readonly format?: 'PE32' | 'PE32+';
  readonly sections: readonly PeSectionSpec[];
  /** Bytes after the last section (a COFF symbol table, say), hashed by Authenticode. */
  readonly trailing?: Buffer;
  /** Attribute certificate table content (WIN_CERTIFICATE), excluded from the hash. */
  readonly certificate?: Buffer;
  /** Default 16. */
  readonly numberOfDirectories?: number;
  readonly checksum?: number;
}

/** Offsets of the fields tests change. */
export interface PeLayout {
  readonly bytes: Buffer;
  readonly optionalHeader: number;
  readonly checksum: number;
  readonly certificateEntry: number | undefined;
  readonly sectionTable: number;
  readonly sectionData: readonly number[];
}

const FILE_ALIGNMENT = 0x200;
const SECTION_ALIGNMENT = 0x1000;
const PE_OFFSET = 0x40;

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

export function buildPe(spec: PeSpec): PeLayout {
  const plus = (spec.format ?? 'PE32+') === 'PE32+';
  const directories = spec.numberOfDirectories ?? 16;
  const optionalSize = (plus ? 112 : 96) + 8 * directories;
  const optional = PE_OFFSET + 24;
  const sectionTable = optional + optionalSize;
  const sizeOfHeaders = align(sectionTable + 40 * spec.sections.length, FILE_ALIGNMENT);
  const sectionData: number[] = [];
  let fileEnd = sizeOfHeaders;
  for (const section of spec.sections) {
    sectionData.push(fileEnd);
    fileEnd += align(section.data.length, FILE_ALIGNMENT);
  }
  const trailing = spec.trailing ?? Buffer.alloc(0);
  const certificateOffset = align(fileEnd + trailing.length, 8);
  const certificate = spec.certificate ?? Buffer.alloc(0);
  const total = certificate.length > 0 ? certificateOffset + certificate.length : fileEnd + trailing.length;
  const pe = Buffer.alloc(total);
  pe.write('MZ', 0, 'latin1');
  pe.writeUInt32LE(PE_OFFSET, 0x3c);
  pe.write('PE\0\0', PE_OFFSET, 'latin1');
  pe.writeUInt16LE(0x8664, PE_OFFSET + 4);
  pe.writeUInt16LE(spec.sections.length, PE_OFFSET + 6);
  pe.writeUInt16LE(optionalSize, PE_OFFSET + 20);
  pe.writeUInt16LE(0x0206, PE_OFFSET + 22);
  pe.writeUInt16LE(plus ? 0x20b : 0x10b, optional);
  pe.writeUInt32LE(SECTION_ALIGNMENT, optional + 32);
  pe.writeUInt32LE(FILE_ALIGNMENT, optional + 36);
  let sizeOfImage = SECTION_ALIGNMENT;
  spec.sections.forEach((section, i) => {
    const at = sectionTable + 40 * i;
    const virtualAddress = SECTION_ALIGNMENT * (i + 1);
    const virtualSize = section.virtualSize ?? section.data.length;
    pe.write(section.name.slice(0, 8), at, 'latin1');
    pe.writeUInt32LE(virtualSize, at + 8);
    pe.writeUInt32LE(virtualAddress, at + 12);
    pe.writeUInt32LE(align(section.data.length, FILE_ALIGNMENT), at + 16);
    pe.writeUInt32LE(section.data.length === 0 ? 0 : (sectionData[i] ?? 0), at + 20);
    if (section.data.length === 0) pe.writeUInt32LE(0, at + 16);
    section.data.copy(pe, sectionData[i] ?? 0);
    sizeOfImage = virtualAddress + align(Math.max(virtualSize, 1), SECTION_ALIGNMENT);
  });
  pe.writeUInt32LE(sizeOfImage, optional + 56);
  pe.writeUInt32LE(sizeOfHeaders, optional + 60);
  pe.writeUInt32LE(spec.checksum ?? 0x1234abcd, optional + 64);
  pe.writeUInt16LE(10, optional + 68); // EFI application
  pe.writeUInt32LE(directories, optional + (plus ? 108 : 92));
  trailing.copy(pe, fileEnd);
  let certificateEntry: number | undefined;
  if (directories > 4) {
    certificateEntry = optional + (plus ? 112 : 96) + 32;
    if (certificate.length > 0) {
      pe.writeUInt32LE(certificateOffset, certificateEntry);
      pe.writeUInt32LE(certificate.length, certificateEntry + 4);
      certificate.copy(pe, certificateOffset);
    }
  }
  return { bytes: pe, optionalHeader: optional, checksum: optional + 64, certificateEntry, sectionTable, sectionData };
}
