// `constellation mini down`: stops every VM, swtpm, dnsmasq and the metadata service of the workspace's VM
// cluster, removes its network objects and files, and the workspace files of that cluster. It keeps the master
// secret unless told otherwise (as `local down`).
import { Command } from 'commander';
import { destroyMiniCluster } from '../../lib/mini/mini-cluster.js';
import { miniLayout } from '../../lib/mini/mini-layout.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { removeClusterWorkspace, type ClusterDownReport } from '../workspace/cluster-workspace.js';

export interface MiniDownOptions {
  readonly workspace: string;
  readonly deleteMasterSecret?: boolean;
}

export async function miniDown(options: MiniDownOptions): Promise<ClusterDownReport> {
  const destroyed = await destroyMiniCluster(options.workspace);
  return removeClusterWorkspace(miniLayout(options.workspace).workspace, destroyed, {
    command: 'mini',
    ...(options.deleteMasterSecret === undefined ? {} : { deleteMasterSecret: options.deleteMasterSecret }),
  });
}

export function makeMiniDownCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('down')
    .description(
      'Stop every VM and process of the VM cluster, remove its network and files (the master secret is kept)',
    )
    .option('--workspace <dir>', 'workspace directory', 'mini-cluster')
    .option('--delete-master-secret', 'also delete constellation-mastersecret.json (the cluster is gone for good)')
    .addHelpText(
      'after',
      `
Stops QEMU (and with it each swtpm), the metadata service and dnsmasq, checking every pid's command line first
so that a reused pid is never signalled; deletes the network namespace constellation-mini-<id> (bridge, taps)
and the host link cmini<id>; removes constellation-mini/ and the workspace files of the cluster. A second run
finds nothing to do. The image directory is not touched.

Examples:
  $ constellation mini down
  $ constellation mini down --workspace ./one-vm --delete-master-secret`,
    )
    .action(async (flags: { workspace: string; deleteMasterSecret?: boolean }) => {
      try {
        const report = await miniDown({
          workspace: flags.workspace,
          deleteMasterSecret: flags.deleteMasterSecret === true,
        });
        if (report.removed.length === 0 && report.stopped.length === 0)
          io.stderr.write('No VM cluster in this workspace: nothing to do.\n');
        for (const line of report.stopped) io.stderr.write(`stopped ${line}\n`);
        for (const path of report.removed) io.stderr.write(`removed ${path}\n`);
        for (const { path, reason } of report.kept) io.stderr.write(`kept ${path}: ${reason}\n`);
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation mini down --help'));
      }
    });
}
