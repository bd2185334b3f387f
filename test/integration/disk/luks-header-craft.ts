// Rewrites the JSON metadata of a LUKS2 volume in place, as a hostile host would: both header copies get the
// new JSON and a correct SHA-256 checksum, so cryptsetup loads the crafted header without complaint and only
// our header policy stands between it and the node's data. (LUKS2 on-disk format: binary header of 4096 bytes
// — hdr_size u64 BE at 8, checksum_alg at 72, csum at 448 (64 bytes) — then the JSON area up to hdr_size; the
// second copy starts at hdr_size; the checksum covers hdr_size bytes with csum zeroed.)
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const BINARY_HEADER_BYTES = 4096;
const CSUM_OFFSET = 448;
const CSUM_BYTES = 64;

export async function rewriteLuksJson(device: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const handle = await open(device, 'r+');
  try {
    const first = Buffer.alloc(BINARY_HEADER_BYTES);
    await handle.read(first, 0, BINARY_HEADER_BYTES, 0);
    const headerSize = Number(first.readBigUInt64BE(8));
    for (const offset of [0, headerSize]) {
      const area = Buffer.alloc(headerSize);
      await handle.read(area, 0, headerSize, offset);
      if (area.subarray(72, 78).toString('latin1') !== 'sha256') throw new Error('expected a sha256 LUKS2 checksum');
      const jsonArea = area.subarray(BINARY_HEADER_BYTES);
      const end = jsonArea.indexOf(0);
      const json = JSON.parse(jsonArea.subarray(0, end).toString('utf8')) as Record<string, unknown>;
      edit(json);
      const text = Buffer.from(JSON.stringify(json), 'utf8');
      if (text.length >= jsonArea.length) throw new Error('crafted JSON does not fit the JSON area');
      jsonArea.fill(0);
      text.copy(jsonArea);
      area.fill(0, CSUM_OFFSET, CSUM_OFFSET + CSUM_BYTES);
      createHash('sha256').update(area).digest().copy(area, CSUM_OFFSET);
      await handle.write(area, 0, headerSize, offset);
    }
  } finally {
    await handle.close();
  }
}

/** Flips one byte inside the JSON area of both copies without fixing the checksums. */
export async function damageLuksHeader(device: string): Promise<void> {
  const handle = await open(device, 'r+');
  try {
    const first = Buffer.alloc(BINARY_HEADER_BYTES);
    await handle.read(first, 0, BINARY_HEADER_BYTES, 0);
    const headerSize = Number(first.readBigUInt64BE(8));
    for (const offset of [0, headerSize]) {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset + BINARY_HEADER_BYTES + 2);
      byte[0] = (byte[0] ?? 0) ^ 0x20;
      await handle.write(byte, 0, 1, offset + BINARY_HEADER_BYTES + 2);
    }
  } finally {
    await handle.close();
  }
}
