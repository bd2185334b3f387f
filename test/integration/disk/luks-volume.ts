// File-backed LUKS2 volumes for tests: sparse 32 MiB files (3 MiB of LUKS2 headers + keyslots, the rest data).
import type { Test } from 'tap';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VOLUME_BYTES = 32 * 1024 * 1024;
/** Primary + secondary LUKS2 headers and the keyslot area: everything a key or token change can touch. */
export const HEADER_BYTES = 3 * 1024 * 1024;

export async function sparseVolume(t: Pick<Test, 'teardown'>): Promise<{ dir: string; device: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'luks-disk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const device = join(dir, 'state.img');
  await writeFile(device, '');
  await truncate(device, VOLUME_BYTES);
  return { dir, device };
}

export async function headerBytes(device: string): Promise<Buffer> {
  const handle = await open(device, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    await handle.read(buffer, 0, HEADER_BYTES, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}
