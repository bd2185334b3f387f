// The sections of a unified kernel image as systemd-stub sees them once the firmware has loaded it: VirtualSize
// bytes at the section's address, that is the raw data cut to VirtualSize, zero-filled when VirtualSize is larger.
import { InputError } from '../errors.js';
import { parsePeImage, PE_INVALID } from './pe-image.js';

/** Zero fill beyond the raw data is what the loader does; more than this is no UKI we build. */
const MAX_ZERO_FILL = 64 * 1024 * 1024;

export function ukiSections(pe: Buffer): Map<string, Buffer> {
  const image = parsePeImage(pe);
  const sections = new Map<string, Buffer>();
  for (const section of image.sections) {
    if (sections.has(section.name)) {
      throw new InputError(
        PE_INVALID,
        `Expected each section name once, found ${JSON.stringify(section.name)} twice; a UKI with ambiguous sections cannot be predicted`,
      );
    }
    if (section.virtualAddress + section.virtualSize > image.sizeOfImage) {
      throw new InputError(
        PE_INVALID,
        `Expected section ${JSON.stringify(section.name)} inside SizeOfImage (${image.sizeOfImage}), found it ending at ${section.virtualAddress + section.virtualSize}`,
      );
    }
    const kept = Math.min(section.virtualSize, section.sizeOfRawData);
    const raw = pe.subarray(section.pointerToRawData, section.pointerToRawData + kept);
    const fill = section.virtualSize - kept;
    if (fill > MAX_ZERO_FILL) {
      throw new InputError(
        PE_INVALID,
        `Expected at most ${MAX_ZERO_FILL} bytes of zero fill in section ${JSON.stringify(section.name)}, found ${fill}`,
      );
    }
    sections.set(section.name, fill === 0 ? Buffer.from(raw) : Buffer.concat([raw, Buffer.alloc(fill)]));
  }
  return sections;
}
