// publish: a result reaches out/image under its name, and no temporary name is left, also when the same cached
// file is published twice (rename(2) between two links to one file does nothing).
import t, { type Test } from 'tap';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publish, writeAtomically } from '../../../image/build/publish.js';

async function workdir(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'publish-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a linked file published twice (a cached stage) leaves only its name', async (t) => {
  const dir = await workdir(t);
  const source = join(dir, 'cache-disk.raw');
  await writeFile(source, 'disk');
  const target = join(dir, 'disk.raw');
  await publish(source, target, 'link');
  await publish(source, target, 'link');
  t.same((await readdir(dir)).sort(), ['cache-disk.raw', 'disk.raw']);
  t.equal((await stat(target)).ino, (await stat(source)).ino, 'a hard link to the cached file');
  t.equal((await stat(target)).mode & 0o777, 0o444, 'read-only');
});

t.test('a copy replaces the old file and keeps the executable bit', async (t) => {
  const dir = await workdir(t);
  const source = join(dir, 'uki');
  await writeFile(source, 'new', { mode: 0o755 });
  const target = join(dir, 'uki.efi');
  await writeFile(target, 'old');
  await publish(source, target, 'copy');
  await publish(source, target, 'copy');
  t.equal(await readFile(target, 'utf8'), 'new');
  t.equal((await stat(target)).mode & 0o777, 0o755);
  t.same((await readdir(dir)).sort(), ['uki', 'uki.efi']);
});

t.test('writeAtomically replaces content and leaves no temporary name', async (t) => {
  const dir = await workdir(t);
  const path = join(dir, 'image.json');
  await writeAtomically(path, '{"a":1}');
  await writeAtomically(path, '{"a":2}');
  t.equal(await readFile(path, 'utf8'), '{"a":2}');
  t.same(await readdir(dir), ['image.json']);
});
