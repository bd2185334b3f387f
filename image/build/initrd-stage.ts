// Stage 2: the initrd, made by the tree's own dracut in a chroot (config: image/mkosi.extra/etc/dracut.conf.d).
// dracut needs /proc, /sys and /dev; they are bind-mounted for the run and always unmounted again. The result is
// written inside the tree, then moved out, so the cached root tree keeps no initrd.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from './build-tools.js';

export const INITRD_FILE = 'initrd.img';
const IN_TREE_OUTPUT = 'tmp/constellation-initrd.img';

export async function buildInitrd(
  dir: string,
  tree: string,
  options: { readonly kernelVersion: string; readonly sourceDateEpoch: number; readonly run: CommandRunner },
): Promise<void> {
  const mounted: string[] = [];
  try {
    for (const [source, target, args] of [
      ['proc', 'proc', ['-t', 'proc']],
      ['/sys', 'sys', ['--bind']],
      ['/dev', 'dev', ['--bind']],
    ] as const) {
      const path = join(tree, target);
      await options.run('mount', [...args, source, path]);
      mounted.push(path);
    }
    await options.run(
      'chroot',
      [
        tree,
        'dracut',
        '--force',
        '--reproducible',
        '--no-hostonly',
        '--kver',
        options.kernelVersion,
        `/${IN_TREE_OUTPUT}`,
      ],
      { env: { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
  } finally {
    for (const path of mounted.reverse()) await options.run('umount', ['--lazy', path]).catch(() => undefined);
  }
  await rename(join(tree, IN_TREE_OUTPUT), join(dir, INITRD_FILE));
}
