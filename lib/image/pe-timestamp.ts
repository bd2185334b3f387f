// Reproducible PE headers: objcopy (binutils 2.40, Debian 12) stamps the COFF TimeDateStamp with the current time
// and ignores SOURCE_DATE_EPOCH, and the stamp is inside the Authenticode digest, so PCR 4 would change with
// every build. setPeTimestamp writes a fixed stamp and the matching optional-header CheckSum.
import { invalidArgument } from '../errors.js';
import { parsePeImage } from './pe-image.js';

/** The PE image checksum (imagehlp CheckSumMappedFile): 16-bit one's-complement-style sum plus the file size. */
export function peChecksum(pe: Buffer): number {
  const { checksumOffset } = parsePeImage(pe);
  let sum = 0;
  for (let at = 0; at < pe.length; at += 2) {
    if (at === checksumOffset || at === checksumOffset + 2) continue;
    sum += at + 1 < pe.length ? pe.readUInt16LE(at) : (pe[at] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + pe.length) >>> 0;
}

/** A copy of `pe` with COFF TimeDateStamp = `seconds` (e.g. SOURCE_DATE_EPOCH) and its CheckSum recomputed. */
export function setPeTimestamp(pe: Buffer, seconds: number): Buffer {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw invalidArgument('seconds', 'an integer 0-4294967295 (seconds since 1970)', seconds);
  }
  const { checksumOffset } = parsePeImage(pe);
  const out = Buffer.from(pe);
  const coff = out.readUInt32LE(0x3c) + 4;
  out.writeUInt32LE(seconds, coff + 4);
  out.writeUInt32LE(peChecksum(out), checksumOffset);
  return out;
}
