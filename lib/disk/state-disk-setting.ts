// From the Bootstrapper's `--state-disk none|<device>` setting to a StateDisk.
import { invalidArgument } from '../errors.js';
import type { CryptsetupRunner } from './command-runner.js';
import { directoryStateDisk } from './directory-state-disk.js';
import { luksStateDisk } from './luks-state-disk.js';
import type { StateDisk } from './state-disk.js';

export interface StateDiskSetting {
  /** "none" = the unencrypted directory backend in `stateDir`; anything else is the LUKS2 device or file. */
  readonly stateDisk: string;
  readonly stateDir: string;
  /** LUKS only: where the filesystem is mounted (default /run/state, as the original). */
  readonly mountPoint?: string;
  /** LUKS only: dm-integrity (default true). */
  readonly integrity?: boolean;
  readonly cryptsetup?: CryptsetupRunner;
}

/** `warning` is set for the directory backend: log it loudly on every start. */
export async function stateDiskFromSetting(setting: StateDiskSetting): Promise<{ disk: StateDisk; warning?: string }> {
  if (typeof setting.stateDisk !== 'string' || setting.stateDisk === '') {
    throw invalidArgument('stateDisk', '"none" or a device path', setting.stateDisk);
  }
  if (setting.stateDisk === 'none') {
    const disk = directoryStateDisk({ dir: setting.stateDir });
    return { disk, warning: disk.warning };
  }
  const disk = await luksStateDisk({
    device: setting.stateDisk,
    mountPoint: setting.mountPoint ?? '/run/state',
    ...(setting.integrity === undefined ? {} : { integrity: setting.integrity }),
    ...(setting.cryptsetup === undefined ? {} : { cryptsetup: setting.cryptsetup }),
  });
  return { disk };
}
