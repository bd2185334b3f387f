// Puts a LUKS2 header that luksFormat wrote into our private copy onto the state disk: the copy's bytes from
// offset 0, then zeros up to the data area (what an attached luksFormat leaves there), then fsync. The result is
// the disk an attached format produces: `cryptsetup luksHeaderBackup` of it gives back the copy byte for byte.
import { open } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES as CODES } from './state-disk.js';

export async function writeHeaderArea(device: string, header: Buffer, dataOffsetBytes: number): Promise<void> {
  if (header.length > dataOffsetBytes) {
    throw new ConstellationError(
      CODES.DISK_COMMAND_FAILED,
      `LUKS header copy: expected at most ${dataOffsetBytes} bytes (the data offset), found ${header.length}`,
    );
  }
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(device, 'r+');
    const area = Buffer.alloc(dataOffsetBytes);
    header.copy(area);
    const { bytesWritten } = await handle.write(area, 0, area.length, 0);
    if (bytesWritten !== area.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    await handle.sync();
  } catch (error) {
    throw new ConstellationError(
      CODES.DISK_IO_FAILED,
      `Expected to write the LUKS header area of ${device}, found ${(error as NodeJS.ErrnoException).code ?? 'an error'}`,
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
}
