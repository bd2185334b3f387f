// The real runner end to end on this kind of host: everything that needs no device-mapper works, and the steps
// that do (mapping, dm-integrity formatting) fail with a clear error naming device-mapper. On a host that has
// device-mapper (the QEMU guests of a later issue) the same test runs the real open → mkfs → mount → close.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError } from '../../../lib/errors.js';
import { luksStateDisk } from '../../../lib/disk/index.js';
import { simulatedDeviceMapper } from './simulated-device-mapper.js';
import { headerBytes, sparseVolume } from './luks-volume.js';

// The kernel lists device-mapper in /proc/misc when dm_mod is loaded. (/dev/mapper/control alone proves nothing:
// libdevmapper creates that node itself, even on a kernel without the driver, as on this host.)
const hasDeviceMapper = /\bdevice-mapper\b/.test(readFileSync('/proc/misc', 'utf8'));
const mapperName = () => `constellation-test-${randomBytes(4).toString('hex')}`;

t.test('cryptsetup missing: CRYPTSETUP_MISSING names the apt package', async (t) => {
  const saved = process.env.PATH;
  t.teardown(() => {
    process.env.PATH = saved;
  });
  process.env.PATH = '/nonexistent';
  const { dir, device } = await sparseVolume(t);
  await t.rejects(luksStateDisk({ device, mountPoint: join(dir, 'mnt') }), {
    constructor: ConstellationError,
    code: 'CRYPTSETUP_MISSING',
    message: /apt-get install cryptsetup-bin/,
  });
});

t.test('options are validated: relative mount point, bad mapper name, empty device', async (t) => {
  const { dir, device } = await sparseVolume(t);
  await t.rejects(luksStateDisk({ device, mountPoint: 'relative' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(luksStateDisk({ device, mountPoint: join(dir, 'm'), mapperName: '../x' }), {
    code: 'INVALID_ARGUMENT',
  });
  await t.rejects(luksStateDisk({ device: '', mountPoint: join(dir, 'm') }), { code: 'INVALID_ARGUMENT' });
});

t.test('prepareNew with the real runner: formats, then mapping needs device-mapper', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const disk = await luksStateDisk({
    device,
    mountPoint: join(dir, 'mnt'),
    mapperName: mapperName(),
    integrity: false,
  });
  t.teardown(() => disk.close());
  if (hasDeviceMapper) {
    const { uuid } = await disk.prepareNew();
    await writeFile(join(disk.mountPoint, 'probe'), 'x');
    t.same(await disk.probe(), { status: 'pending', uuid });
    return;
  }
  await t.rejects(disk.prepareNew(), {
    constructor: ConstellationError,
    code: 'DISK_OPEN_UNSUPPORTED',
    message: /device-mapper/,
  });
  const probe = await disk.probe();
  t.equal(probe.status, 'pending', 'formatted and marked pending before the mapping step: the next boot starts over');
});

t.test('open with the real runner: a wrong key is DISK_KEY_REJECTED on any host; the right one maps', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const setup = await luksStateDisk({
    device,
    mountPoint: join(dir, 'setup'),
    integrity: false,
    cryptsetup: simulatedDeviceMapper(),
  });
  await setup.prepareNew();
  const key = randomBytes(32);
  await setup.bindClusterKey(key, { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
  await setup.close();
  const disk = await luksStateDisk({
    device,
    mountPoint: join(dir, 'mnt'),
    mapperName: mapperName(),
    integrity: false,
  });
  t.teardown(() => disk.close());
  const before = await headerBytes(device);
  await t.rejects(disk.open(randomBytes(32)), { constructor: ConstellationError, code: 'DISK_KEY_REJECTED' });
  t.ok((await headerBytes(device)).equals(before));
  if (hasDeviceMapper) {
    // The filesystem was never created (the setup disk's mkfs was simulated): only the mapping is checked here.
    await t.rejects(disk.open(key), { code: 'DISK_COMMAND_FAILED', message: /mount/ });
    return;
  }
  await t.rejects(disk.open(key), {
    constructor: ConstellationError,
    code: 'DISK_OPEN_UNSUPPORTED',
    message: /expected device-mapper to map the disk, found none on this host/,
  });
  t.ok((await headerBytes(device)).equals(before), 'a failed mapping changes nothing');
  await disk.close();
});

t.test('dm-integrity: formatting needs device-mapper (DISK_INTEGRITY_UNSUPPORTED), the disk stays blank', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const disk = await luksStateDisk({
    device,
    mountPoint: join(dir, 'mnt'),
    mapperName: mapperName(),
    integrity: true,
  });
  t.teardown(() => disk.close());
  if (hasDeviceMapper) {
    const { uuid } = await disk.prepareNew();
    t.same(await disk.probe(), { status: 'pending', uuid });
    return;
  }
  await t.rejects(disk.prepareNew(), {
    constructor: ConstellationError,
    code: 'DISK_INTEGRITY_UNSUPPORTED',
    message: /device-mapper/,
  });
  t.same(
    await disk.probe(),
    { status: 'blank' },
    'cryptsetup wipes the half-written header: the next boot starts over',
  );
});

t.test('cryptsetup older than 2.4 is CRYPTSETUP_UNSUPPORTED', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const old = { run: () => Promise.resolve({ exitCode: 0, stdout: 'cryptsetup 2.3.7\n', stderr: '', missing: false }) };
  await t.rejects(luksStateDisk({ device, mountPoint: join(dir, 'mnt'), cryptsetup: old }), {
    constructor: ConstellationError,
    code: 'CRYPTSETUP_UNSUPPORTED',
    message: /Expected cryptsetup 2\.4 or later, found "cryptsetup 2\.3\.7"/,
  });
});
