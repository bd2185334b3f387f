// Taking down a local or VM cluster: every node's machine or VM, found by scanning the node directories rather
// than trusting the record (a half-created cluster is stopped by what it really has), then the metadata
// service, then the cluster directory.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeClusterDirectory } from './cluster-directory.js';
import { stopMetadataService, type MetadataFiles } from './metadata-process.js';

export interface DestroyReport {
  /** Processes stopped (and network objects removed), e.g. "machine control-plane-0 (terminated)". */
  readonly stopped: readonly string[];
  readonly removedDir?: string;
}

/** Runs `stop`, then removes the cluster directory (`removedDir` when there was one). */
export async function destroyCluster(dir: string, stop: () => Promise<string[]>): Promise<DestroyReport> {
  const stopped = await stop();
  const removed = await removeClusterDirectory(dir);
  return { stopped, ...(removed ? { removedDir: dir } : {}) };
}

export interface NodePowerOff {
  /** How a stopped node is named in the report: "machine", "VM". */
  readonly label: string;
  powerOff(nodeDir: string): Promise<'not-running' | 'shut-down' | 'terminated' | 'killed'>;
}

/** Stops the nodes, then the metadata service; the report names each process stopped, e.g. "VM worker-0 (terminated)". */
export async function stopClusterProcesses(layout: MetadataFiles, nodes: NodePowerOff): Promise<string[]> {
  const stopped: string[] = [];
  await Promise.all(
    (await nodeDirectories(layout.dir)).map(async (node) => {
      const outcome = await nodes.powerOff(node.dir);
      if (outcome !== 'not-running') stopped.push(`${nodes.label} ${node.name} (${outcome})`);
    }),
  );
  const metadata = await stopMetadataService(layout);
  if (metadata !== 'not-running') stopped.push(`metadata service (${metadata})`);
  return stopped;
}

/** The node directories (`<dir>/nodes/<name>`) that exist. */
async function nodeDirectories(dir: string): Promise<{ name: string; dir: string }[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, 'nodes'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    names = [];
  }
  return names.map((name) => ({ name, dir: join(dir, 'nodes', name) }));
}
