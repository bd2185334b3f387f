// SOURCE_DATE_EPOCH and the image version, from the git commit being built; $SOURCE_DATE_EPOCH and $IMAGE_VERSION
// override them (rebuilding a released tree, or two builds of the same inputs across a new commit).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { CommandRunner } from './build-tools.js';

export interface SourceIdentity {
  readonly sourceDateEpoch: number;
  readonly version: string;
}

export async function sourceIdentity(
  repo: string,
  env: NodeJS.ProcessEnv,
  run: CommandRunner,
): Promise<SourceIdentity> {
  const { version: packageVersion } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
    version: string;
  };
  const fromEnv = env.SOURCE_DATE_EPOCH;
  let sourceDateEpoch: number;
  if (fromEnv !== undefined && fromEnv !== '') {
    sourceDateEpoch = parseEpoch(fromEnv);
  } else {
    sourceDateEpoch = parseEpoch((await run('git', ['log', '-1', '--format=%ct'], { cwd: repo })).stdout.trim());
  }
  const versionFromEnv = env.IMAGE_VERSION;
  if (versionFromEnv !== undefined && versionFromEnv !== '') {
    if (!/^[0-9A-Za-z.+~-]{1,64}$/.test(versionFromEnv)) {
      throw invalidArgument('IMAGE_VERSION', 'up to 64 letters, digits and . + ~ -', versionFromEnv);
    }
    return { sourceDateEpoch, version: versionFromEnv };
  }
  const commit = (
    await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repo }).catch(() => ({ stdout: '' }))
  ).stdout.trim();
  return { sourceDateEpoch, version: commit === '' ? packageVersion : `${packageVersion}+${commit}` };
}

export function parseEpoch(value: string): number {
  if (!/^[0-9]{1,12}$/.test(value))
    throw invalidArgument('SOURCE_DATE_EPOCH', 'seconds since 1970 (digits only)', value);
  return Number(value);
}
