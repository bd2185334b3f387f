// Stage 4b: the ESP (FAT, made with mtools: the build host has no vfat to mount) holding the UKI as the removable
// media path \EFI\BOOT\BOOTX64.EFI, then the GPT disk (sfdisk on a sparse file) with the parts copied in by dd.
import { rm, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from './build-tools.js';
import { espBytesFor, planDisk, SECTOR, sfdiskScript, type DiskPlan } from './gpt-layout.js';

export const ESP_IMAGE = 'esp.img';
/** FAT volume id: fixed (mkfs.vfat would pick one from the clock). */
const ESP_VOLUME_ID = '434f4e53';

export interface BootDiskInputs {
  readonly uki: string;
  readonly ukiBytes: number;
  readonly root: string;
  readonly rootBytes: number;
  readonly verity: string;
  readonly verityBytes: number;
  readonly rootUuid: string;
  readonly verityUuid: string;
  readonly sourceDateEpoch: number;
}

export async function buildEsp(
  dir: string,
  inputs: BootDiskInputs,
  run: CommandRunner,
): Promise<{ path: string; bytes: number }> {
  const path = join(dir, ESP_IMAGE);
  const bytes = espBytesFor(inputs.ukiBytes);
  await rm(path, { force: true });
  await run('mkfs.vfat', ['--invariant', '-i', ESP_VOLUME_ID, '-n', 'ESP', '-C', path, String(bytes / 1024)]);
  // mtools stamps new directories and (without -m) files with the current time: give them SOURCE_DATE_EPOCH.
  const env = { SOURCE_DATE_EPOCH: String(inputs.sourceDateEpoch), MTOOLS_SKIP_CHECK: '1' };
  await run('mmd', ['-i', path, '::/EFI', '::/EFI/BOOT'], { env });
  await utimes(inputs.uki, inputs.sourceDateEpoch, inputs.sourceDateEpoch);
  await run('mcopy', ['-m', '-i', path, inputs.uki, '::/EFI/BOOT/BOOTX64.EFI'], { env });
  return { path, bytes };
}

/** Writes the GPT disk to `output` (a sparse file). */
export async function buildDisk(
  output: string,
  esp: { path: string; bytes: number },
  inputs: BootDiskInputs,
  run: CommandRunner,
): Promise<DiskPlan> {
  const plan = planDisk({
    espBytes: esp.bytes,
    rootBytes: inputs.rootBytes,
    verityBytes: inputs.verityBytes,
    rootUuid: inputs.rootUuid,
    verityUuid: inputs.verityUuid,
  });
  await rm(output, { force: true });
  await truncate(output, 0).catch(() => undefined);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(output, '');
  await truncate(output, plan.bytes);
  await run('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', output], { input: sfdiskScript(plan) });
  const sources = [esp.path, inputs.root, inputs.verity];
  for (const [index, partition] of plan.partitions.entries()) {
    const source = sources[index];
    if (source === undefined) continue;
    await run('dd', [
      `if=${source}`,
      `of=${output}`,
      'bs=1M',
      `seek=${String((partition.startSector * SECTOR) / (1024 * 1024))}`,
      'conv=notrunc,sparse',
      'status=none',
    ]);
  }
  return plan;
}
