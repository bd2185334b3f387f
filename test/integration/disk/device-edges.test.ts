// zeroDeviceEdges: the first and last MiB become zeros in whole 4 KiB blocks, the rest is untouched; on a
// block device (a loop device here) the size comes from sysfs, as for /dev/mapper/state in the guest.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { zeroDeviceEdges } from '../../../lib/disk/device-edges.js';

const MiB = 1024 * 1024;

async function fileOf(t: Pick<Test, 'teardown'>, bytes: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'device-edges-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'disk.img');
  await writeFile(path, Buffer.alloc(bytes, 0xa5));
  return path;
}

function zeroRuns(data: Buffer): { head: number; tailStart: number } {
  let head = 0;
  while (head < data.length && data[head] === 0) head += 1;
  let tailStart = data.length;
  while (tailStart > 0 && data[tailStart - 1] === 0) tailStart -= 1;
  return { head, tailStart };
}

t.test('a regular file: first and last MiB zeroed, the middle kept', async (t) => {
  const path = await fileOf(t, 8 * MiB + 1000); // not a multiple of 4 KiB: the unaligned tail is left
  await zeroDeviceEdges(path);
  const data = await readFile(path);
  const usable = 8 * MiB + 1000 - ((8 * MiB + 1000) % 4096);
  t.equal(zeroRuns(data).head, MiB, 'the first MiB is zero, the byte after it is not');
  t.ok(
    data.subarray(usable - MiB, usable).every((byte) => byte === 0),
    'the last aligned MiB is zero',
  );
  t.equal(data[usable - MiB - 1], 0xa5, 'the byte before the last MiB is untouched');
  t.ok(
    data.subarray(usable).every((byte) => byte === 0xa5),
    'the unaligned remainder is untouched',
  );
});

t.test('a device under 2 MiB is zeroed whole', async (t) => {
  const path = await fileOf(t, 1536 * 1024);
  await zeroDeviceEdges(path);
  t.ok((await readFile(path)).every((byte) => byte === 0));
});

t.test('a loop block device: the size comes from sysfs', async (t) => {
  const path = await fileOf(t, 4 * MiB);
  const loop = execFileSync('losetup', ['--find', '--show', path], { encoding: 'utf8' }).trim();
  let attached = true;
  t.teardown(() => {
    if (attached) execFileSync('losetup', ['--detach', loop]);
  });
  await zeroDeviceEdges(loop);
  execFileSync('losetup', ['--detach', loop]);
  attached = false;
  const data = await readFile(path);
  t.equal(zeroRuns(data).head, MiB, 'first MiB zero');
  t.equal(zeroRuns(data).tailStart, 3 * MiB, 'last MiB zero');
  t.equal(data[2 * MiB], 0xa5, 'middle untouched');
});

t.test('a missing device is DISK_COMMAND_FAILED naming it', async (t) => {
  const error = await zeroDeviceEdges('/nonexistent/state').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'DISK_COMMAND_FAILED');
  t.match((error as Error).message, /\/nonexistent\/state.*ENOENT/);
});
