// A VM booted with another kernel command line (`mini start <node> --kernel-command-line …`): the image's UKI is
// rebuilt from its own parts (the systemd-stub taken back out of it, the kernel, the initrd, the os-release) with
// the new .cmdline section, and a sparse copy of the image's disk gets it in its ESP. The node's overlay is then
// pointed at that disk (qemu-img rebase -u: the overlay's own writes stay). PCR 4 (the UKI's Authenticode digest)
// and PCR 11 (the .cmdline section) change, so the cluster must refuse the node: the tamper case of the e2e test,
// with a node that runs otherwise normally. A plain `mini start` points the overlay back at the image's disk.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError, invalidArgument } from '../errors.js';
import { assembleUki, stubObjcopyArguments, UKI_FILE, UKI_PARTS } from '../image/index.js';
import type { VmLayout } from './mini-layout.js';

const VARIANT_DISK = 'disk.raw';
const STUB = 'stub.efi';
const UKI_ON_ESP = '::/EFI/BOOT/BOOTX64.EFI';
const ESP_PARTITION_NAME = 'esp';

type Run = (
  program: string,
  args: readonly string[],
  options?: { env?: Readonly<Record<string, string>> },
) => Promise<string>;

async function run(
  program: string,
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>> } = {},
): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(program, args, {
    reject: false,
    stdin: 'ignore',
    ...(options.env ? { env: options.env } : {}),
  });
  if (result.exitCode !== 0) {
    throw new ConstellationError(
      'MINI_BOOT_VARIANT_FAILED',
      `Expected \`${program} ${args.join(' ')}\` to succeed, found exit code ${String(result.exitCode)}: ${result.stderr.trim().slice(0, 400)}`,
    );
  }
  return result.stdout;
}

/** The byte offset of the ESP in a GPT disk image, from `sfdisk --json`. */
export function espOffset(sfdiskJson: string, disk: string): number {
  const table = (
    JSON.parse(sfdiskJson) as {
      partitiontable?: { sectorsize?: number; partitions?: { start: number; name?: string }[] };
    }
  ).partitiontable;
  const esp = table?.partitions?.find((partition) => partition.name === ESP_PARTITION_NAME);
  if (esp === undefined) {
    throw new ConstellationError(
      'MINI_BOOT_VARIANT_FAILED',
      `Expected a GPT partition named "${ESP_PARTITION_NAME}" in ${disk}, found none`,
    );
  }
  return esp.start * (table?.sectorsize ?? 512);
}

/**
 * Builds the variant in `layout.bootVariantDir` (replacing an older one) from the image in `imageDir`; resolves to
 * the variant's disk. `kernelCommandLine` is used verbatim (no newline).
 */
export async function makeBootVariant(
  imageDir: string,
  kernelCommandLine: string,
  layout: VmLayout,
  runner: Run = run,
): Promise<string> {
  if (kernelCommandLine.trim() === '' || kernelCommandLine.includes('\n') || kernelCommandLine.length > 4096) {
    throw invalidArgument('kernel command line', 'one line of 1-4096 characters', kernelCommandLine);
  }
  const dir = layout.bootVariantDir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(imageDir, 'image.json'), 'utf8')) as { sourceDateEpoch?: unknown };
  const sourceDateEpoch = typeof manifest.sourceDateEpoch === 'number' ? manifest.sourceDateEpoch : 0;
  await runner('objcopy', stubObjcopyArguments(join(imageDir, UKI_FILE), join(dir, STUB)));
  const uki = await assembleUki(
    dir,
    {
      stub: join(dir, STUB),
      linux: join(imageDir, UKI_PARTS.linux),
      initrd: join(imageDir, UKI_PARTS.initrd),
      osRelease: await readFile(join(imageDir, UKI_PARTS.osRelease), 'utf8'),
      cmdline: kernelCommandLine,
      sourceDateEpoch,
    },
    runner,
  );
  const disk = join(dir, VARIANT_DISK);
  await runner('cp', ['--sparse=always', join(imageDir, 'disk.raw'), disk]);
  const offset = espOffset(await runner('sfdisk', ['--json', disk]), disk);
  await runner('mcopy', ['-o', '-i', `${disk}@@${String(offset)}`, uki, UKI_ON_ESP], {
    env: { MTOOLS_SKIP_CHECK: '1' },
  });
  for (const part of [STUB, UKI_PARTS.osRelease, UKI_PARTS.cmdline]) await rm(join(dir, part), { force: true });
  return disk;
}

/** The backing file of the node's overlay, from `qemu-img info`. */
export async function bootBacking(layout: VmLayout, runner: Run = run): Promise<string | undefined> {
  const info = JSON.parse(await runner('qemu-img', ['info', '--output=json', '-U', layout.bootDisk])) as {
    'backing-filename'?: string;
  };
  return info['backing-filename'];
}

/** Points the node's overlay at `backing` (raw); its own writes stay. Then drops a variant no longer used. */
export async function setBootBacking(layout: VmLayout, backing: string, runner: Run = run): Promise<void> {
  if ((await bootBacking(layout, runner)) === backing) return;
  await runner('qemu-img', ['rebase', '-u', '-F', 'raw', '-b', backing, layout.bootDisk]);
  if (!backing.startsWith(layout.bootVariantDir)) await rm(layout.bootVariantDir, { recursive: true, force: true });
}
