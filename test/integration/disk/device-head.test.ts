// zeroDeviceHead: the first 256 KiB become zeros in whole 4 KiB blocks, the rest is untouched, on a regular file
// and on a block device (a loop device here, as /dev/mapper/state in the guest); a block device too small for it is
// refused.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { DEVICE_HEAD_BYTES, zeroDeviceHead } from '../../../lib/disk/device-head.js';

const MiB = 1024 * 1024;

async function fileOf(t: Pick<Test, 'teardown'>, bytes: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'device-head-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'disk.img');
  await writeFile(path, Buffer.alloc(bytes, 0xa5));
  return path;
}

function leadingZeros(data: Buffer): number {
  let head = 0;
  while (head < data.length && data[head] === 0) head += 1;
  return head;
}

const HEAD = 256 * 1024;

t.test('the head is 256 KiB: twice the largest readahead window from block 0', (t) => {
  t.equal(DEVICE_HEAD_BYTES, HEAD);
  t.end();
});

t.test('a regular file: the first 256 KiB zeroed, everything after it kept', async (t) => {
  const path = await fileOf(t, 8 * MiB);
  await zeroDeviceHead(path);
  const data = await readFile(path);
  t.equal(leadingZeros(data), HEAD, 'the first 256 KiB are zero, the byte after them is not');
  t.ok(
    data.subarray(HEAD).every((byte) => byte === 0xa5),
    'the rest, up to the last byte, is untouched',
  );
  t.equal(data.length, 8 * MiB, 'the size is unchanged');
});

t.test('a file under 256 KiB: its whole 4 KiB blocks are zeroed, an unaligned remainder kept', async (t) => {
  const path = await fileOf(t, 128 * 1024 + 1000);
  await zeroDeviceHead(path);
  const data = await readFile(path);
  t.equal(leadingZeros(data), 128 * 1024);
  t.ok(data.subarray(128 * 1024).every((byte) => byte === 0xa5));
  t.equal(data.length, 128 * 1024 + 1000, 'nothing written past the end');
});

t.test('a loop block device: the size comes from sysfs', async (t) => {
  const path = await fileOf(t, 4 * MiB);
  const loop = execFileSync('losetup', ['--find', '--show', path], { encoding: 'utf8' }).trim();
  let attached = true;
  t.teardown(() => {
    if (attached) execFileSync('losetup', ['--detach', loop]);
  });
  await zeroDeviceHead(loop);
  execFileSync('losetup', ['--detach', loop]); // our close, the last, already wrote the page cache to the file
  attached = false;
  const data = await readFile(path);
  t.equal(leadingZeros(data), HEAD, 'first 256 KiB zero');
  t.ok(
    data.subarray(HEAD).every((byte) => byte === 0xa5),
    'the rest untouched',
  );
});

t.test('a block device smaller than the head is refused, naming what it took', async (t) => {
  const path = await fileOf(t, 128 * 1024);
  const loop = execFileSync('losetup', ['--find', '--show', path], { encoding: 'utf8' }).trim();
  t.teardown(() => execFileSync('losetup', ['--detach', loop]));
  const error = await zeroDeviceHead(loop).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'DISK_COMMAND_FAILED');
  t.match((error as Error).message, new RegExp(`${loop}.*262144 bytes.*found room for 131072`));
});

t.test('a missing device is DISK_COMMAND_FAILED naming it', async (t) => {
  const error = await zeroDeviceHead('/nonexistent/state').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'DISK_COMMAND_FAILED');
  t.match((error as Error).message, /\/nonexistent\/state.*ENOENT/);
});
