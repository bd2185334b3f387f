// `constellation local down`: stops every process of the workspace's local cluster and removes what
// `local up` created: the cluster directory and the workspace files of that cluster. It keeps the master
// secret unless told otherwise: it is the one file whose loss cannot be undone, and deleting a secret is the
// admin's decision.
import { access, rm } from 'node:fs/promises';
import { Command } from 'commander';
import { destroyLocalCluster } from '../../lib/local-cluster/local-cluster.js';
import { clusterLayout } from '../../lib/local-cluster/cluster-layout.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { workspacePath, type WorkspaceFile } from '../workspace/files.js';

/** Workspace files that `local up` (and the init it runs) writes for the local cluster. */
export const LOCAL_WORKSPACE_FILES: readonly WorkspaceFile[] = ['config', 'state', 'id', 'adminConf'];

export interface LocalDownOptions {
  readonly workspace: string;
  /** Also delete constellation-mastersecret.json (default: keep it). */
  readonly deleteMasterSecret?: boolean;
}

export interface LocalDownReport {
  readonly stopped: readonly string[];
  readonly removed: readonly string[];
  /** Files left on purpose, with the reason. */
  readonly kept: readonly { path: string; reason: string }[];
}

export async function localDown(options: LocalDownOptions): Promise<LocalDownReport> {
  const layout = clusterLayout(options.workspace);
  const destroyed = await destroyLocalCluster(options.workspace);
  if (destroyed.removedDir === undefined) return { stopped: destroyed.stopped, removed: [], kept: [] };
  const removed: string[] = [destroyed.removedDir];
  const files =
    options.deleteMasterSecret === true ? [...LOCAL_WORKSPACE_FILES, 'masterSecret' as const] : LOCAL_WORKSPACE_FILES;
  for (const file of files) {
    const path = workspacePath(layout.workspace, file);
    if (await removeIfPresent(path)) removed.push(path);
  }
  const kept: { path: string; reason: string }[] = [];
  const masterSecret = workspacePath(layout.workspace, 'masterSecret');
  if (options.deleteMasterSecret !== true && (await exists(masterSecret))) {
    kept.push({
      path: masterSecret,
      reason:
        'a master secret is never deleted implicitly; delete it (or pass --delete-master-secret) before the next local up',
    });
  }
  return { stopped: destroyed.stopped, removed, kept };
}

async function removeIfPresent(path: string): Promise<boolean> {
  if (!(await exists(path))) return false;
  await rm(path, { force: true });
  return true;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
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
files of the cluster (${LOCAL_WORKSPACE_FILES.map((file) => workspacePath('.', file).split('/').at(-1)).join(', ')}).
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
