// `mini start --kernel-command-line`: the UKI rebuilt from the image's own parts with another .cmdline, put into a
// copy of the image's disk, and the node's overlay pointed at it and back. Real objcopy, mkfs.vfat, mtools, sfdisk
// and qemu-img on a small image made from the UKI vectors (test/vectors/image).
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { UKI_PARTS, ukiSections } from '../../../lib/image/index.js';
import { bootBacking, espOffset, makeBootVariant, setBootBacking } from '../../../lib/mini/boot-variant.js';
import { vmLayoutAt } from '../../../lib/mini/mini-layout.js';

const VECTORS = join(import.meta.dirname, '../../vectors/image');
const ESP_START_SECTOR = 2048;
const ESP_SECTORS = 64 * 2048; // 64 MiB: mkfs.vfat makes FAT32-capable room for the small UKI

/** An image directory as the image build leaves it, with a GPT disk whose ESP holds the vector UKI. */
async function smallImage(dir: string): Promise<string> {
  const image = join(dir, 'image');
  await mkdir(image);
  await copyFile(join(VECTORS, 'uki.efi'), join(image, 'uki.efi'));
  await copyFile(join(VECTORS, 'kernel.efi'), join(image, UKI_PARTS.linux));
  await copyFile(join(VECTORS, 'initrd.img'), join(image, UKI_PARTS.initrd));
  await copyFile(join(VECTORS, 'os-release'), join(image, UKI_PARTS.osRelease));
  await copyFile(join(VECTORS, 'cmdline.txt'), join(image, UKI_PARTS.cmdline));
  await writeFile(join(image, 'image.json'), JSON.stringify({ sourceDateEpoch: 0 }));
  const esp = join(dir, 'esp.img');
  await execa('mkfs.vfat', ['-C', esp, String(ESP_SECTORS / 2)]);
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  await execa('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT'], { env });
  await execa('mcopy', ['-i', esp, join(image, 'uki.efi'), '::/EFI/BOOT/BOOTX64.EFI'], { env });
  const disk = join(image, 'disk.raw');
  await execa('truncate', ['-s', String((ESP_START_SECTOR + ESP_SECTORS + 2048) * 512), disk]);
  await execa('sfdisk', ['--quiet', disk], {
    input: `label: gpt\nstart=${ESP_START_SECTOR}, size=${ESP_SECTORS}, type=uefi, name="esp"\n`,
  });
  await execa('dd', [
    `if=${esp}`,
    `of=${disk}`,
    'bs=512',
    `seek=${ESP_START_SECTOR}`,
    'conv=notrunc,sparse',
    'status=none',
  ]);
  return image;
}

async function ukiOnEsp(disk: string, out: string): Promise<Buffer> {
  const offset = espOffset((await execa('sfdisk', ['--json', disk])).stdout, disk);
  await execa('mcopy', ['-n', '-i', `${disk}@@${String(offset)}`, '::/EFI/BOOT/BOOTX64.EFI', out], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
  });
  return readFile(out);
}

t.test('the variant UKI differs only in .cmdline; the same command line rebuilds the image UKI exactly', async (t) => {
  const dir = t.testdir();
  const image = await smallImage(dir);
  const layout = vmLayoutAt(join(dir, 'node'));
  const original = await readFile(join(image, 'uki.efi'));
  const imageDisk = await readFile(join(image, 'disk.raw'));

  const same = await makeBootVariant(image, (await readFile(join(image, UKI_PARTS.cmdline), 'utf8')).trimEnd(), layout);
  const rebuilt = await ukiOnEsp(same, join(dir, 'same.efi'));
  t.ok(rebuilt.equals(original), 'stub taken out of the UKI + the same parts = the image UKI, byte for byte');

  const tampered = 'console=ttyS0 init=/bin/sh constellation.tampered=1';
  const variant = await makeBootVariant(image, tampered, layout);
  const uki = await ukiOnEsp(variant, join(dir, 'variant.efi'));
  const sections = ukiSections(uki);
  const originalSections = ukiSections(original);
  t.equal(sections.get('.cmdline')?.toString('utf8').replace(/\0+$/, ''), tampered);
  for (const name of ['.osrel', '.linux', '.initrd']) {
    t.ok(sections.get(name)?.equals(originalSections.get(name) ?? Buffer.alloc(0)), `${name} unchanged`);
  }
  t.ok((await readFile(join(image, 'disk.raw'))).equals(imageDisk), "the image's disk is untouched");
  t.ok((await stat(variant)).blocks * 512 < (await stat(variant)).size, 'the copy is sparse');
});

t.test('bad command lines are refused before anything is built; a disk without an ESP is named', async (t) => {
  const dir = t.testdir();
  const layout = vmLayoutAt(join(dir, 'node'));
  for (const bad of ['', '   ', 'a\nb', 'x'.repeat(4097)]) {
    await t.rejects(makeBootVariant(join(dir, 'no-image'), bad, layout), { code: 'INVALID_ARGUMENT' });
  }
  t.throws(() => espOffset(JSON.stringify({ partitiontable: { partitions: [{ start: 1, name: 'root' }] } }), 'd.raw'), {
    code: 'MINI_BOOT_VARIANT_FAILED',
    message: /Expected a GPT partition named "esp" in d\.raw, found none/,
  });
  t.equal(
    espOffset(JSON.stringify({ partitiontable: { sectorsize: 512, partitions: [{ start: 2048, name: 'esp' }] } }), 'd'),
    1048576,
  );
});

t.test('the overlay is rebased onto the variant and back; the variant goes when unused', async (t) => {
  const dir = t.testdir();
  const image = await smallImage(dir);
  const layout = vmLayoutAt(join(dir, 'node'));
  await mkdir(layout.dir, { recursive: true });
  const base = join(image, 'disk.raw');
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, layout.bootDisk]);
  t.equal(await bootBacking(layout), base);
  const variant = await makeBootVariant(image, 'console=ttyS0 quiet', layout);
  await setBootBacking(layout, variant);
  t.equal(await bootBacking(layout), variant);
  await setBootBacking(layout, base);
  t.equal(await bootBacking(layout), base);
  await t.rejects(stat(layout.bootVariantDir), { code: 'ENOENT' }, 'the unused variant is removed');
});
