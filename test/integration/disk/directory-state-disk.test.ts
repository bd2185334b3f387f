import t, { type Test } from 'tap';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerificationError } from '../../../lib/errors.js';
import { DIRECTORY_HEADER_FILE, directoryStateDisk, stateDiskFromSetting } from '../../../lib/disk/index.js';
import { stateDiskContract } from './state-disk-contract.js';

async function tempDir(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'directory-disk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('StateDisk contract: directory backend', (t) => {
  stateDiskContract(t, async (t) => {
    const dir = join(await tempDir(t), 'state');
    return {
      instance: () => Promise.resolve(directoryStateDisk({ dir })),
      snapshot: async () => {
        try {
          return await readFile(join(dir, DIRECTORY_HEADER_FILE));
        } catch {
          return Buffer.alloc(0);
        }
      },
    };
  });
  t.end();
});

t.test('says loudly that it is not encrypted', async (t) => {
  const dir = await tempDir(t);
  const disk = directoryStateDisk({ dir });
  t.same(disk.description, { kind: 'directory', encrypted: false, location: dir });
  t.match(disk.warning, /NOT ENCRYPTED/);
  t.match(disk.warning, dir);
  const fromSetting = await stateDiskFromSetting({ stateDisk: 'none', stateDir: dir });
  t.equal(fromSetting.warning, disk.warning);
  t.equal(fromSetting.disk.description.kind, 'directory');
});

t.test('the header holds a key check, never the key, and is 0600; no temporary files stay behind', async (t) => {
  const dir = await tempDir(t);
  const disk = directoryStateDisk({ dir });
  await disk.prepareNew();
  const key = randomBytes(32);
  await disk.bindClusterKey(key, { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
  const path = join(dir, DIRECTORY_HEADER_FILE);
  const text = await readFile(path, 'utf8');
  t.notOk(text.includes(key.toString('hex')));
  t.notOk(text.includes(key.toString('base64')));
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.same(Object.keys(JSON.parse(text) as object).sort(), ['clusterHint', 'keyCheck', 'status', 'uuid', 'version']);
  t.same((await readdir(dir)).sort(), [DIRECTORY_HEADER_FILE, 'volume']);
});

t.test('a tampered header is DISK_HEADER_INVALID naming the field (and is not reformatted)', async (t) => {
  const cases: [string, (header: Record<string, unknown>) => void, RegExp][] = [
    ['status', (h) => (h.status = 'open'), /field status: expected "pending" or "initialized", found "open"/],
    ['uuid', (h) => (h.uuid = 'not-a-uuid'), /field uuid/],
    ['keyCheck', (h) => (h.keyCheck = 'zz'), /field keyCheck: expected 64 hex digits/],
    ['version', (h) => (h.version = 2), /field version: expected 1, found 2/],
    ['unknown field', (h) => (h.key = 'aa'), /field key: expected no such field/],
    [
      'cluster hint salt',
      (h) => (h.clusterHint = { measurementSalt: 'zz', clusterId: 'ab'.repeat(32) }),
      /field clusterHint\.measurementSalt: expected 64 lower-case hex digits, found "zz"/,
    ],
    [
      'cluster hint extra field',
      (h) => (h.clusterHint = { measurementSalt: 'ab'.repeat(32), clusterId: 'ab'.repeat(32), key: 'aa' }),
      /field clusterHint\.key: expected no such field/,
    ],
    ['cluster hint not an object', (h) => (h.clusterHint = 'x'), /field clusterHint: expected an object/],
  ];
  for (const [name, mutate, message] of cases) {
    const dir = await tempDir(t);
    const disk = directoryStateDisk({ dir });
    await disk.prepareNew();
    await disk.bindClusterKey(randomBytes(32), { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
    const path = join(dir, DIRECTORY_HEADER_FILE);
    const header = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    mutate(header);
    await writeFile(path, JSON.stringify(header));
    const before = await readFile(path);
    await t.rejects(disk.probe(), { constructor: VerificationError, code: 'DISK_HEADER_INVALID', message }, name);
    await t.rejects(disk.prepareNew(), { constructor: VerificationError, code: 'DISK_HEADER_INVALID' }, name);
    t.ok((await readFile(path)).equals(before), `${name}: untouched`);
  }
  const dir = await tempDir(t);
  await writeFile(join(dir, DIRECTORY_HEADER_FILE), 'not json');
  await t.rejects(directoryStateDisk({ dir }).probe(), { constructor: VerificationError, code: 'DISK_HEADER_INVALID' });
});

t.test('prepareNew on a pending disk discards the old volume contents', async (t) => {
  const dir = await tempDir(t);
  const disk = directoryStateDisk({ dir });
  await disk.prepareNew();
  await writeFile(join(disk.mountPoint, 'leftover'), 'x');
  await disk.prepareNew();
  t.same(await readdir(disk.mountPoint), []);
});
