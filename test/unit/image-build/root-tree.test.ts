// Normalising the mkosi tree: build-time state goes, the initrd goes, machine-id is empty, shadow dates are fixed.
import t from 'tap';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRootTree } from '../../../image/build/root-tree.js';

t.test('var and tmp are emptied, the initrd and lock/backup files removed, ids and dates fixed', async (t) => {
  const tree = await mkdtemp(join(tmpdir(), 'root-tree-'));
  t.teardown(() => rm(tree, { recursive: true, force: true }));
  for (const dir of ['var/log/apt', 'var/lib/dpkg', 'tmp', 'boot', 'etc'])
    await mkdir(join(tree, dir), { recursive: true });
  await writeFile(join(tree, 'var/log/apt/history.log'), 'Start-Date: today');
  await writeFile(join(tree, 'var/lib/dpkg/status'), 'Package: x');
  await writeFile(join(tree, 'tmp/scratch'), '');
  await writeFile(join(tree, 'boot/initrd.img-6.1.0'), 'initrd');
  await writeFile(join(tree, 'boot/vmlinuz-6.1.0'), 'kernel');
  await writeFile(join(tree, 'etc/machine-id'), '0123456789abcdef0123456789abcdef\n');
  await writeFile(join(tree, 'etc/shadow-'), 'old');
  await writeFile(join(tree, 'etc/shadow'), 'root:*:19999:0:99999:7:::\n');
  await normalizeRootTree(tree, 20_000 * 86_400);
  t.same(await readdir(join(tree, 'var')), []);
  t.same(await readdir(join(tree, 'tmp')), []);
  t.same(await readdir(join(tree, 'boot')), ['vmlinuz-6.1.0']);
  t.equal(await readFile(join(tree, 'etc/machine-id'), 'utf8'), '');
  t.equal(await readFile(join(tree, 'etc/shadow'), 'utf8'), 'root:*:20000:0:99999:7:::\n');
  t.notOk((await readdir(join(tree, 'etc'))).includes('shadow-'));
  t.ok((await readdir(join(tree, 'usr/share'))).includes('constellation'));
});
