// Stage 3: the read-only root. erofs (the guest kernel mounts it; module added to the initrd) with a fixed
// timestamp on every inode and a fixed UUID, so the same tree gives the same bytes; then the dm-verity hash tree
// with a fixed salt and UUID, whose root hash goes on the kernel command line. No mount and no device-mapper on
// the build host: both tools work on plain files.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';
import type { CommandRunner } from './build-tools.js';

export const ROOT_IMAGE = 'root.erofs';
export const VERITY_IMAGE = 'root.verity';

/** Fixed identifiers: reproducible, and the same for every build (they identify the format, not the content). */
export const ROOT_FS_UUID = '5c0b4a4e-6f6e-4c6c-8e2a-636f6e737431';
export const VERITY_UUID = '5c0b4a4e-6f6e-4c6c-8e2a-636f6e737432';

export interface VerityRoot {
  readonly rootHash: string;
  readonly rootBytes: number;
  readonly verityBytes: number;
}

/** The verity salt: fixed per image version (reproducible, yet not shared between releases). */
export function veritySalt(imageName: string, version: string): string {
  return createHash('sha256').update(`${imageName} ${version} dm-verity salt`).digest('hex');
}

export async function buildVerityRoot(
  dir: string,
  tree: string,
  options: { readonly sourceDateEpoch: number; readonly salt: string; readonly run: CommandRunner },
): Promise<VerityRoot> {
  const root = join(dir, ROOT_IMAGE);
  const verity = join(dir, VERITY_IMAGE);
  await options.run('mkfs.erofs', [
    '--quiet',
    '-zlz4hc',
    `-T${String(options.sourceDateEpoch)}`,
    `-U${ROOT_FS_UUID}`,
    root,
    tree,
  ]);
  const { stdout } = await options.run('veritysetup', [
    'format',
    `--salt=${options.salt}`,
    `--uuid=${VERITY_UUID}`,
    '--hash=sha256',
    '--data-block-size=4096',
    '--hash-block-size=4096',
    root,
    verity,
  ]);
  return {
    rootHash: parseRootHash(stdout),
    rootBytes: (await stat(root)).size,
    verityBytes: (await stat(verity)).size,
  };
}

/** The "Root hash:" line of `veritysetup format`. */
export function parseRootHash(output: string): string {
  const match = /^Root hash:\s+([0-9a-f]{64})\s*$/m.exec(output);
  if (match?.[1] === undefined) {
    throw new ConstellationError(
      'IMAGE_BUILD_OUTPUT_INVALID',
      `Expected a "Root hash:" line of 64 hex digits from veritysetup format, found none in ${JSON.stringify(output.slice(0, 200))}`,
    );
  }
  return match[1];
}
