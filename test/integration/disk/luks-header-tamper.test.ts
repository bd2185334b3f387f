// A host controls the disk: a header it formatted or edited must not be trusted, and a disk whose header it
// damaged is neither trusted nor reformatted. Real cryptsetup on sparse files.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { ConstellationError, VerificationError } from '../../../lib/errors.js';
import { luksStateDisk, type StateDisk } from '../../../lib/disk/index.js';
import { damageLuksHeader, rewriteLuksJson } from './luks-header-craft.js';
import { simulatedDeviceMapper } from './simulated-device-mapper.js';
import { headerBytes, sparseVolume } from './luks-volume.js';

// Real cryptsetup (argon2, header copies) on a machine shared with the rest of the suite: allow for load.
t.setTimeout(300_000);

const TOKEN_INITIALIZED = '{"type":"constellation-state-disk","keyslots":[],"diskIsInitialized":true}';

async function diskOn(device: string, dir: string): Promise<StateDisk> {
  return luksStateDisk({ device, mountPoint: join(dir, 'mnt'), integrity: false, cryptsetup: simulatedDeviceMapper() });
}

/** Every entry point refuses the header with DISK_HEADER_INVALID and leaves the header bytes as they were. */
async function refusedEverywhere(t: Test, device: string, dir: string, key: Buffer, message: RegExp): Promise<void> {
  const before = await headerBytes(device);
  const disk = await diskOn(device, dir);
  const refused = { constructor: VerificationError, code: 'DISK_HEADER_INVALID', message };
  await t.rejects(disk.probe(), refused, 'probe');
  await t.rejects(disk.open(key), refused, 'open');
  await t.rejects(disk.prepareNew(), refused, 'prepareNew: not reformatted');
  await t.rejects(disk.rekey(key, randomBytes(32)), refused, 'rekey');
  await t.rejects(disk.markForReset(), refused, 'markForReset');
  t.ok((await headerBytes(device)).equals(before), 'header bytes unchanged');
}

const weakFormats: [string, string[], RegExp][] = [
  [
    'CBC-ESSIV cipher',
    ['--cipher', 'aes-cbc-essiv:sha256', '--key-size', '256', '--sector-size', '4096'],
    /segments\.0\.encryption: expected "aes-xts-plain64", found "aes-cbc-essiv:sha256"/,
  ],
  [
    '512-byte sectors',
    ['--cipher', 'aes-xts-plain64', '--key-size', '512', '--sector-size', '512'],
    /segments\.0\.sector_size: expected 4096, found 512/,
  ],
  [
    '256-bit XTS key',
    ['--cipher', 'aes-xts-plain64', '--key-size', '256', '--sector-size', '4096'],
    /keyslots\.0\.key_size: expected 64, found 32/,
  ],
];

t.test('a disk formatted with weaker cryptsetup options is DISK_HEADER_INVALID', async (t) => {
  for (const [name, options, message] of weakFormats) {
    await t.test(name, async (t) => {
      const { dir, device } = await sparseVolume(t);
      const key = randomBytes(32);
      await execa(
        'cryptsetup',
        [
          'luksFormat',
          '--batch-mode',
          '--type',
          'luks2',
          ...options,
          '--pbkdf',
          'pbkdf2',
          '--pbkdf-force-iterations',
          '1000',
          '--key-file',
          '-',
          device,
        ],
        { input: key },
      );
      await execa('cryptsetup', ['token', 'import', '--token-id', '0', '--json-file', '-', device], {
        input: TOKEN_INITIALIZED,
      });
      await refusedEverywhere(t, device, dir, key, message);
    });
  }
});

t.test('a pbkdf2 keyslot (our cipher otherwise) is DISK_HEADER_INVALID', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const key = randomBytes(32);
  await execa(
    'cryptsetup',
    [
      'luksFormat',
      '--batch-mode',
      '--type',
      'luks2',
      '--cipher',
      'aes-xts-plain64',
      '--key-size',
      '512',
      '--sector-size',
      '4096',
      '--pbkdf',
      'pbkdf2',
      '--pbkdf-force-iterations',
      '1000',
      '--key-file',
      '-',
      device,
    ],
    { input: key },
  );
  await execa('cryptsetup', ['token', 'import', '--token-id', '0', '--json-file', '-', device], {
    input: TOKEN_INITIALIZED,
  });
  await refusedEverywhere(t, device, dir, key, /keyslots\.0\.kdf\.type: expected "argon2id", found "pbkdf2"/);
});

async function boundDisk(t: Test): Promise<{ dir: string; device: string; key: Buffer; uuid: string }> {
  const { dir, device } = await sparseVolume(t);
  const disk = await diskOn(device, dir);
  const { uuid } = await disk.prepareNew();
  const key = randomBytes(32);
  await disk.bindClusterKey(key, { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
  await disk.close();
  return { dir, device, key, uuid };
}

t.test('a crafted header (valid checksums) with a null cipher is DISK_HEADER_INVALID', async (t) => {
  const { dir, device, key } = await boundDisk(t);
  await rewriteLuksJson(device, (json) => {
    ((json.segments as Record<string, Record<string, unknown>>)['0'] ?? {}).encryption = 'cipher_null-ecb';
  });
  const dump = await execa('cryptsetup', ['luksDump', '--dump-json-metadata', device]);
  t.match(dump.stdout, /cipher_null-ecb/, 'cryptsetup itself loads the crafted header');
  await refusedEverywhere(
    t,
    device,
    dir,
    key,
    /segments\.0\.encryption: expected "aes-xts-plain64", found "cipher_null-ecb"/,
  );
});

t.test('a crafted third token (bound to a keyslot) is DISK_HEADER_INVALID', async (t) => {
  const { dir, device, key } = await boundDisk(t);
  await rewriteLuksJson(device, (json) => {
    (json.tokens as Record<string, unknown>)['2'] = { type: 'systemd-tpm2', keyslots: ['0'] };
  });
  await refusedEverywhere(t, device, dir, key, /tokens: expected token "0" and optionally "1"/);
});

t.test('a damaged header is neither trusted nor treated as blank (never reformatted)', async (t) => {
  const { dir, device, key } = await boundDisk(t);
  await damageLuksHeader(device);
  t.not((await execa('cryptsetup', ['isLuks', device], { reject: false })).exitCode, 0, 'cryptsetup cannot load it');
  await refusedEverywhere(t, device, dir, key, /damaged or foreign header; it is not reformatted/);
});

t.test('a file that is not LUKS at all is blank; a missing device is DISK_DEVICE_MISSING', async (t) => {
  const { dir, device } = await sparseVolume(t);
  t.same(await (await diskOn(device, dir)).probe(), { status: 'blank' });
  const missing = await diskOn(join(dir, 'no-such-device'), dir);
  await t.rejects(missing.probe(), { constructor: ConstellationError, code: 'DISK_DEVICE_MISSING' });
});
