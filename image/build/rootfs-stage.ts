// Stage 1: the Debian root tree from mkosi.conf (mkosi 14, Format=directory) and the list of installed packages.
// mkosi runs every in-tree command in systemd-nspawn; on a host whose PID 1 is not systemd nspawn needs a tmpfs on
// /run/systemd/nspawn (else it refuses to clean up its propagation directory) and --keep-unit (mkosi.conf
// NspawnKeepUnit=yes, else it asks a system bus that does not exist).
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/index.js';
import type { CommandRunner } from './build-tools.js';

export interface RootfsStageOptions {
  readonly repo: string;
  /** Where apt's downloaded packages are kept between builds (speeds up a rebuild, not part of any key). */
  readonly packageCache: string;
  readonly run: CommandRunner;
  readonly logger: Logger;
}

/** Files the stage writes into its directory. */
export const ROOTFS_TREE = 'rootfs';
export const PACKAGES_FILE = 'packages.txt';

const NSPAWN_RUN_DIR = '/run/systemd/nspawn';
const MKOSI_SUBDIR = 'debian~bookworm';

export async function buildRootfs(dir: string, options: RootfsStageOptions): Promise<void> {
  await mkdir(options.packageCache, { recursive: true });
  const workspace = join(dir, 'workspace');
  await mkdir(workspace);
  const mounted = await ensureNspawnTmpfs(options);
  try {
    await options.run(
      'mkosi',
      ['--output-dir', dir, '--workspace-dir', workspace, '--cache', options.packageCache, '--force', 'build'],
      { cwd: options.repo },
    );
  } finally {
    // --lazy: an nspawn that is still exiting must not turn a build failure into an unmount failure.
    if (mounted) await options.run('umount', ['--lazy', NSPAWN_RUN_DIR]);
    await rm(workspace, { recursive: true, force: true });
  }
  // mkosi 14 writes <output-dir>/<distribution>~<release>/<Output>.
  const built = join(dir, MKOSI_SUBDIR);
  await rename(join(built, ROOTFS_TREE), join(dir, ROOTFS_TREE));
  await rm(built, { recursive: true, force: true });
  const { stdout } = await options.run('dpkg-query', [
    `--admindir=${join(dir, ROOTFS_TREE, 'var/lib/dpkg')}`,
    '--show',
    '--showformat=${Package} ${Version} ${Architecture}\\n',
  ]);
  await writeFile(join(dir, PACKAGES_FILE), packagesList(stdout));
}

/** Sorted "name version arch" lines, one per installed package. */
export function packagesList(dpkgOutput: string): string {
  const lines = dpkgOutput
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return `${lines.sort().join('\n')}\n`;
}

/** The one kernel the tree holds (its /usr/lib/modules/<version>). */
export async function kernelVersion(tree: string): Promise<string> {
  const versions = (await readdir(join(tree, 'usr/lib/modules')).catch(() => [])).sort();
  const [version, ...others] = versions;
  if (version === undefined || others.length > 0) {
    throw new ConstellationError(
      'IMAGE_BUILD_OUTPUT_INVALID',
      `Expected exactly one kernel in ${tree}/usr/lib/modules, found ${versions.length === 0 ? 'none' : versions.join(', ')}: check linux-image-amd64 in mkosi.conf`,
    );
  }
  return version;
}

async function ensureNspawnTmpfs(options: RootfsStageOptions): Promise<boolean> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  if (mounts.split('\n').some((line) => line.split(' ')[1] === NSPAWN_RUN_DIR)) return false;
  await mkdir(NSPAWN_RUN_DIR, { recursive: true });
  options.logger.info(`mounting a tmpfs on ${NSPAWN_RUN_DIR} for systemd-nspawn (unmounted afterwards)`);
  await options.run('mount', ['-t', 'tmpfs', 'tmpfs', NSPAWN_RUN_DIR]);
  return true;
}
