// The real tools the image build relies on for reproducibility: the same tree (with different file times and
// directory orders) gives the same erofs bytes and the same dm-verity root hash; the same UKI gives the same ESP.
// A changed byte in the tree changes the root hash. Needs erofs-utils, cryptsetup-bin, dosfstools and mtools.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../../image/build/build-tools.js';
import { buildEsp, type BootDiskInputs } from '../../../image/build/boot-disk.js';
import { buildVerityRoot } from '../../../image/build/verity-root.js';

const TOOLS = ['mkfs.erofs', 'veritysetup', 'mkfs.vfat', 'mcopy'];
const missing = await Promise.all(
  TOOLS.map((tool) =>
    runCommand('sh', ['-c', `command -v ${tool}`]).then(
      () => undefined,
      () => tool,
    ),
  ),
);
const absent = missing.filter((tool) => tool !== undefined);

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'repro-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function sampleTree(dir: string, names: readonly string[], mtime: number, extra = ''): Promise<string> {
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'usr/bin'), { recursive: true });
  for (const name of names) {
    await writeFile(join(tree, 'usr/bin', name), `#!/bin/sh\necho ${name}${extra}\n`.repeat(500), { mode: 0o755 });
    await utimes(join(tree, 'usr/bin', name), mtime, mtime);
  }
  return tree;
}

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
const options = { sourceDateEpoch: 1_700_000_000, salt: 'ab'.repeat(32), run: runCommand };

t.test(
  'erofs + verity: same tree, same bytes and root hash; a changed file, another root hash',
  { skip: absent.length > 0 ? `missing ${absent.join(', ')}` : false },
  async (t) => {
    const a = await scratch(t);
    const b = await scratch(t);
    const c = await scratch(t);
    const first = await buildVerityRoot(a, await sampleTree(a, ['x', 'y', 'z'], 1_000), options);
    const second = await buildVerityRoot(b, await sampleTree(b, ['z', 'y', 'x'], 2_000_000_000), options);
    t.equal(second.rootHash, first.rootHash);
    t.equal(await sha256(join(b, 'root.erofs')), await sha256(join(a, 'root.erofs')));
    const changed = await buildVerityRoot(c, await sampleTree(c, ['x', 'y', 'z'], 1_000, '!'), options);
    t.not(changed.rootHash, first.rootHash);
  },
);

t.test(
  'ESP: the same UKI gives the same FAT image',
  { skip: absent.length > 0 ? `missing ${absent.join(', ')}` : false },
  async (t) => {
    const dirs = [await scratch(t), await scratch(t)];
    const digests: string[] = [];
    for (const dir of dirs) {
      const uki = join(dir, 'uki.efi');
      await writeFile(uki, Buffer.alloc(300_000, 7));
      const inputs = { uki, ukiBytes: 300_000, sourceDateEpoch: 1_700_000_000 } as BootDiskInputs;
      const esp = await buildEsp(dir, inputs, runCommand);
      digests.push(await sha256(esp.path));
      // Different wall-clock time between the two builds must not matter.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    t.equal(digests[1], digests[0]);
  },
);
