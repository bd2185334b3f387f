// objcopy 2.40 stamps a PE's COFF header with the current time (it ignores SOURCE_DATE_EPOCH for PE output), which
// alone makes every UKI differ. This sets TimeDateStamp to SOURCE_DATE_EPOCH and recomputes the optional header's
// CheckSum (the PE/COFF algorithm: 16-bit one's-complement-style sum with carry folding, plus the file length).
// Authenticode (PCR 4) skips the checksum but covers the timestamp, so both must be fixed.
import { ConstellationError } from '../../lib/errors.js';

const PE_SIGNATURE = 0x00004550; // "PE\0\0"

/** Offsets of the two fields in `pe`. */
export function peHeaderFields(pe: Buffer): { timeDateStamp: number; checkSum: number } {
  if (pe.length < 0x40 || pe.readUInt16LE(0) !== 0x5a4d) throw notPe('no MZ header');
  const peOffset = pe.readUInt32LE(0x3c);
  if (peOffset + 24 + 68 > pe.length || pe.readUInt32LE(peOffset) !== PE_SIGNATURE) throw notPe('no PE signature');
  // COFF header: Machine(2) NumberOfSections(2) TimeDateStamp(4) …; optional header after 20 bytes; CheckSum at +64.
  return { timeDateStamp: peOffset + 8, checkSum: peOffset + 24 + 64 };
}

/** The PE checksum of `pe` as the loader computes it (the CheckSum field itself counts as zero). */
export function peChecksum(pe: Buffer): number {
  const skip = peHeaderFields(pe).checkSum;
  let sum = 0;
  for (let i = 0; i < pe.length; i += 2) {
    if (i === skip || i === skip + 2) continue;
    const word = i + 1 < pe.length ? pe.readUInt16LE(i) : (pe[i] ?? 0);
    sum += word;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + pe.length) >>> 0;
}

/** A copy of `pe` with TimeDateStamp = `epoch` and a matching CheckSum. */
export function withPeTimestamp(pe: Buffer, epoch: number): Buffer {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff)
    throw notPe(`timestamp ${String(epoch)} out of range`);
  const fields = peHeaderFields(pe);
  const out = Buffer.from(pe);
  out.writeUInt32LE(epoch, fields.timeDateStamp);
  out.writeUInt32LE(peChecksum(out), fields.checkSum);
  return out;
}

function notPe(found: string): ConstellationError {
  return new ConstellationError('IMAGE_BUILD_OUTPUT_INVALID', `Expected a PE/COFF image from objcopy, found ${found}`);
}
