// The host-side metadata service of a local or VM cluster: one detached process that serves the inventory
// (the nodes and the init secret's hash), found and stopped again through its pid file. Its command line names
// the inventory file, the marker that proves a pid is this cluster's service.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeInventory } from '../metadata/inventory.js';
import { agentCommand, METADATA_ENTRY, type AgentRuntime } from './agent-command.js';
import type { ClusterNode } from './cluster-record.js';
import { startDetached, waitForJsonLine } from './detached-process.js';
import { findOwnedProcess, stopOwnedProcess, type OwnedProcess } from './owned-process.js';

/** Where the service's files are (both cluster layouts have them). */
export interface MetadataFiles {
  /** The cluster directory: the service's working directory. */
  readonly dir: string;
  readonly inventoryFile: string;
  readonly metadataPidFile: string;
  readonly metadataStdout: string;
  readonly metadataLog: string;
}

export interface MetadataServiceOptions {
  /** "ip:port" to listen on. */
  readonly listen: string;
  readonly runtime: AgentRuntime;
  readonly nodes: readonly ClusterNode[];
  /** Only its SHA-256 goes into the inventory. */
  readonly initSecret: Buffer;
  /** The service's --log-level; absent: the service's default. */
  readonly logLevel?: 'debug' | 'info';
}

/** Writes the inventory and starts the service; resolves once it listens. */
export async function startMetadataService(files: MetadataFiles, options: MetadataServiceOptions): Promise<void> {
  await mkdir(dirname(files.inventoryFile), { recursive: true });
  await writeInventory(files.inventoryFile, {
    nodes: options.nodes,
    initSecretHash: createHash('sha256').update(options.initSecret).digest(),
  });
  const pid = await startDetached({
    command: agentCommand(METADATA_ENTRY, options.runtime),
    args: [
      '--listen',
      options.listen,
      '--inventory',
      files.inventoryFile,
      '--log-transport',
      'stderr-json',
      ...(options.logLevel === undefined ? [] : ['--log-level', options.logLevel]),
    ],
    cwd: files.dir,
    stdoutFile: files.metadataStdout,
    stderrFile: files.metadataLog,
    pidFile: files.metadataPidFile,
  });
  await waitForJsonLine(files.metadataStdout, 'listening', pid, `the metadata service (log: ${files.metadataLog})`);
}

/** The running service of this cluster; undefined when it is not running. */
export async function findMetadataService(files: MetadataFiles): Promise<OwnedProcess | undefined> {
  return findOwnedProcess(files.metadataPidFile, files.inventoryFile);
}

export async function stopMetadataService(files: MetadataFiles): Promise<'not-running' | 'terminated' | 'killed'> {
  return stopOwnedProcess(files.metadataPidFile, files.inventoryFile, 5000);
}
