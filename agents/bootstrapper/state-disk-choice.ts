// `--state-disk none|<device>` → the StateDisk, as lib/disk stateDiskFromSetting, but the LUKS backend (and with
// it execa, ~14 MB of resident memory) is loaded only when a device is configured: the local cluster runs every
// node with `none`, and the Bootstrapper's RSS budget is 80 MB.
import type { DiskCommandTiming } from '../../lib/disk/command-runner.js';
import { directoryStateDisk } from '../../lib/disk/directory-state-disk.js';
import type { StateDisk } from './ports.js';

export async function chooseStateDisk(setting: {
  readonly stateDisk: string;
  readonly directory: string;
  readonly mountPoint: string;
  /** Each cryptsetup/mkfs/mount command's wall time (the Bootstrapper logs them at debug level). */
  readonly onCommand?: (timing: DiskCommandTiming) => void;
}): Promise<{ disk: StateDisk; warning?: string }> {
  if (setting.stateDisk === 'none') {
    const disk = directoryStateDisk({ dir: setting.directory });
    return { disk, warning: disk.warning };
  }
  const { luksStateDisk } = await import('../../lib/disk/luks-state-disk.js');
  const { execaRunner, timedRunner } = await import('../../lib/disk/command-runner.js');
  const cryptsetup = setting.onCommand === undefined ? execaRunner : timedRunner(execaRunner, setting.onCommand);
  return { disk: await luksStateDisk({ device: setting.stateDisk, mountPoint: setting.mountPoint, cryptsetup }) };
}
