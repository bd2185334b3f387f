// makeFilesystem with real mkfs.ext4 on a file: on a dm-integrity disk no backup superblock is written (each
// would be a partial write into a never-written block, an I/O error in the guest); otherwise the backups stay.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { execaRunner } from '../../../lib/disk/command-runner.js';
import { makeFilesystem } from '../../../lib/disk/filesystem.js';

async function volume(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.img');
  await writeFile(path, '');
  await truncate(path, 512 * 1024 * 1024); // several block groups, so backups would exist
  return path;
}

function backupSuperblocks(path: string): number {
  const text = execFileSync('dumpe2fs', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return [...text.matchAll(/Backup superblock at/g)].length;
}

t.test('integrity: sparse_super2 with no backup superblocks', async (t) => {
  const path = await volume(t);
  await makeFilesystem(execaRunner, path, { integrity: true });
  t.equal(backupSuperblocks(path), 0);
});

t.test('without integrity the usual backups are written', async (t) => {
  const path = await volume(t);
  await makeFilesystem(execaRunner, path);
  t.ok(backupSuperblocks(path) > 0, 'backup superblocks present');
});
