// The StateDisk contract on real LUKS2 volumes (sparse files, real cryptsetup). Only the device-mapper steps
// (mapping, mkfs, mount) are simulated: see simulated-device-mapper.ts; their real failure on this host is
// asserted in luks-without-device-mapper.test.ts.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { luksStateDisk, stateDiskFromSetting } from '../../../lib/disk/index.js';
import { stateDiskContract } from './state-disk-contract.js';
import { simulatedDeviceMapper } from './simulated-device-mapper.js';
import { HEADER_BYTES, headerBytes, sparseVolume } from './luks-volume.js';

// Real cryptsetup (argon2, header copies) on a machine shared with the rest of the suite: allow for load.
t.setTimeout(300_000);

t.test('StateDisk contract: LUKS2 backend', (t) => {
  stateDiskContract(t, async (t) => {
    const { dir, device } = await sparseVolume(t);
    const runner = simulatedDeviceMapper();
    return {
      instance: () => luksStateDisk({ device, mountPoint: join(dir, 'mnt'), integrity: false, cryptsetup: runner }),
      snapshot: () => headerBytes(device),
    };
  });
  t.end();
});

t.test(
  'formats with DESIGN §6 parameters; tokens come with the cluster key; a header cryptsetup reads back',
  async (t) => {
    const { dir, device } = await sparseVolume(t);
    const runner = simulatedDeviceMapper();
    const disk = await luksStateDisk({ device, mountPoint: join(dir, 'mnt'), integrity: false, cryptsetup: runner });
    t.same(disk.description, { kind: 'luks', encrypted: true, location: device });
    const { uuid } = await disk.prepareNew();
    t.equal((await execa('cryptsetup', ['luksUUID', device])).stdout, uuid);
    const untokened = await execa('cryptsetup', ['token', 'export', '--token-id', '0', device], { reject: false });
    t.not(untokened.exitCode, 0, 'no token 0 while pending (absent reads as pending)');
    t.same(await disk.probe(), { status: 'pending', uuid });
    const metadata = JSON.parse((await execa('cryptsetup', ['luksDump', '--dump-json-metadata', device])).stdout) as {
      keyslots: Record<string, { key_size: number; kdf: { type: string; memory: number; time: number } }>;
      segments: Record<string, { encryption: string; sector_size: number }>;
    };
    t.same(Object.keys(metadata.keyslots), ['0']);
    t.equal(metadata.keyslots['0']?.key_size, 64);
    t.match(metadata.keyslots['0']?.kdf, { type: 'argon2id', memory: 1024, time: 4 });
    t.match(metadata.segments['0'], { encryption: 'aes-xts-plain64', sector_size: 4096 });
    const key = randomBytes(32);
    const hint = { measurementSalt: randomBytes(32), clusterId: randomBytes(32) };
    await disk.bindClusterKey(key, hint);
    const exported = async (id: number): Promise<unknown> =>
      JSON.parse((await execa('cryptsetup', ['token', 'export', '--token-id', String(id), device])).stdout);
    t.same(await exported(0), { type: 'constellation-state-disk', keyslots: [], diskIsInitialized: true });
    t.same(await exported(1), {
      type: 'constellation-cluster-hint',
      keyslots: [],
      measurementSalt: hint.measurementSalt.toString('hex'),
      clusterId: hint.clusterId.toString('hex'),
    });
    const keyslots = (
      JSON.parse((await execa('cryptsetup', ['luksDump', '--dump-json-metadata', device])).stdout) as {
        keyslots: object;
      }
    ).keyslots;
    t.same(Object.keys(keyslots), ['0'], 'the cluster key replaced the initial key in keyslot 0');
    const test = await execa('cryptsetup', ['open', '--test-passphrase', '--key-file', '-', device], {
      input: key,
      reject: false,
    });
    t.equal(test.exitCode, 0, 'plain cryptsetup unlocks with the raw cluster key');
  },
);

t.test(
  'a new header is formatted into the private copy and written in place: the disk an attached format gives',
  async (t) => {
    const { dir, device } = await sparseVolume(t);
    await writeFile(device, Buffer.alloc(HEADER_BYTES, 0xa5), { flag: 'r+' }); // old bytes where the header goes
    const runner = simulatedDeviceMapper();
    const disk = await luksStateDisk({ device, mountPoint: join(dir, 'mnt'), integrity: false, cryptsetup: runner });
    const { uuid } = await disk.prepareNew();
    const format = runner.calls.find((call) => call.args[0] === 'luksFormat')?.args ?? [];
    t.match(format[format.indexOf('--header') + 1], /^\/dev\/shm\/constellation-disk-/, 'formatted into RAM');
    t.notOk(
      runner.calls.some((call) => ['luksHeaderBackup', 'luksDump', 'luksHeaderRestore'].includes(call.args[0] ?? '')),
      'no header round trip after the format',
    );
    const metadata = JSON.parse((await execa('cryptsetup', ['luksDump', '--dump-json-metadata', device])).stdout) as {
      segments: Record<string, { offset: string }>;
    };
    t.equal(metadata.segments['0']?.offset, String(HEADER_BYTES), 'data at 3 MiB, as an attached header puts it');
    t.equal((await execa('cryptsetup', ['luksUUID', device])).stdout, uuid);
    const backup = join(dir, 'backup');
    await execa('cryptsetup', ['luksHeaderBackup', device, '--header-backup-file', backup]);
    const copy = await readFile(backup);
    const area = await headerBytes(device);
    t.ok(area.subarray(0, copy.length).equals(copy), 'the disk starts with exactly what cryptsetup backs up');
    t.ok(area.subarray(copy.length).equals(Buffer.alloc(HEADER_BYTES - copy.length)), 'zeros up to the data area');
  },
);

t.test('keys reach cryptsetup only on stdin or a key pipe, never on argv', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const runner = simulatedDeviceMapper();
  const disk = await luksStateDisk({ device, mountPoint: join(dir, 'mnt'), integrity: false, cryptsetup: runner });
  await disk.prepareNew();
  const key = randomBytes(32);
  const next = randomBytes(32);
  await disk.bindClusterKey(key, { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
  await disk.open(key);
  await disk.rekey(key, next);
  await disk.close();
  const forms = [key, next].flatMap((k) => [k.toString('hex'), k.toString('base64'), k.toString('latin1')]);
  const leaks = runner.calls.filter((call) => call.args.some((arg) => forms.some((form) => arg.includes(form))));
  t.same(leaks, [], 'no argument vector contains a key');
  t.ok(runner.calls.length > 10);
  t.ok(
    runner.calls.some((call) => call.stdin?.equals(key)),
    'the cluster key went on stdin',
  );
  const change = runner.calls.filter((call) => call.args[0] === 'luksChangeKey');
  t.equal(change.length, 2);
  t.ok(
    change.every((call) => call.args.includes('--new-keyfile-size')),
    'new keys through a pipe of known size',
  );
  // Header copies and key pipes live in private scratch directories that are gone afterwards.
  const scratch = new Set(
    runner.calls.flatMap((call) => {
      const index = call.args.indexOf('--header-backup-file');
      return index < 0 ? [] : [dirname(call.args[index + 1] ?? '')];
    }),
  );
  t.ok(scratch.size > 0);
  for (const dir of scratch) t.notOk(existsSync(dir), `${dir} removed`);
  t.ok(
    [...scratch].every((dir) => dir.startsWith('/dev/shm/')),
    'scratch lives in RAM',
  );
});

t.test('stateDiskFromSetting: a device path gives the LUKS backend with no warning', async (t) => {
  const { dir, device } = await sparseVolume(t);
  const result = await stateDiskFromSetting({
    stateDisk: device,
    stateDir: dir,
    mountPoint: join(dir, 'mnt'),
    cryptsetup: simulatedDeviceMapper(),
  });
  t.equal(result.disk.description.kind, 'luks');
  t.equal(result.warning, undefined);
  t.same(await result.disk.probe(), { status: 'blank' });
});
