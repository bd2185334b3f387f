// `constellation local down`: stops every process of the workspace's local cluster and removes what
// `local up` created: the cluster directory and the workspace files of that cluster. It keeps the master
// secret unless told otherwise: it is the one file whose loss cannot be undone, and deleting a secret is the
// admin's decision.
import { Command } from 'commander';
import { destroyLocalCluster } from '../../lib/local-cluster/local-cluster.js';
import { clusterLayout } from '../../lib/local-cluster/cluster-layout.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import {
  CLUSTER_WORKSPACE_FILES,
  removeClusterWorkspace,
  type ClusterDownReport,
} from '../workspace/cluster-workspace.js';
import { workspacePath } from '../workspace/files.js';

export interface LocalDownOptions {
  readonly workspace: string;
  /** Also delete constellation-mastersecret.json (default: keep it). */
  readonly deleteMasterSecret?: boolean;
}

export async function localDown(options: LocalDownOptions): Promise<ClusterDownReport> {
  const destroyed = await destroyLocalCluster(options.workspace);
  return removeClusterWorkspace(clusterLayout(options.workspace).workspace, destroyed, {
    command: 'local',
    ...(options.deleteMasterSecret === undefined ? {} : { deleteMasterSecret: options.deleteMasterSecret }),
  });
}

export function makeLocalDownCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('down')
    .description('Stop every process of the local cluster and remove its files (the master secret is kept)')
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--delete-master-secret', 'also delete constellation-mastersecret.json (the cluster is gone for good)')
    .addHelpText(
      'after',
      `
Stops the machines (each stops its Bootstrapper and swtpm) and the metadata service, checking every pid's
command line first so that a reused pid is never signalled. Removes constellation-local/ and the workspace
files of the cluster (${CLUSTER_WORKSPACE_FILES.map((file) => workspacePath('.', file).split('/').at(-1)).join(', ')}).
Keeps constellation-mastersecret.json unless --delete-master-secret is given.

Examples:
  $ constellation local down --workspace ./local
  $ constellation local down --workspace ./local --delete-master-secret`,
    )
    .action(async (flags: { workspace: string; deleteMasterSecret?: boolean }) => {
      try {
        const report = await localDown({
          workspace: flags.workspace,
          deleteMasterSecret: flags.deleteMasterSecret === true,
        });
        if (report.removed.length === 0) io.stderr.write('No local cluster in this workspace: nothing to do.\n');
        for (const line of report.stopped) io.stderr.write(`stopped ${line}\n`);
        for (const path of report.removed) io.stderr.write(`removed ${path}\n`);
        for (const { path, reason } of report.kept) io.stderr.write(`kept ${path}: ${reason}\n`);
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation local down --help'));
      }
    });
}
