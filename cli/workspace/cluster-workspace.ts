// The workspace files of a cluster that `constellation local up` or `mini up` starts: none may exist before `up`
// (nothing is overwritten), `up` writes the state of the machines it started, and `down` removes the files
// again, all but the master secret unless told: it is the one file whose loss cannot be undone, and deleting a
// secret is the admin's decision.
import { access, rm } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ImagePolicyJson } from '../../lib/boot/image-policy.js';
import { InputError } from '../../lib/errors.js';
import { defaultConfig, type ClusterConfig } from './config.js';
import { WORKSPACE_FILES, workspacePath, type WorkspaceFile } from './files.js';
import { writeState, type Infrastructure, type StateNode } from './state.js';

/** The command group that owns the cluster: it names the commands in messages. */
export type ClusterCommand = 'local' | 'mini';

/** Workspace files that `up` (and the init it runs) writes for the cluster; `down` removes them. */
export const CLUSTER_WORKSPACE_FILES: readonly WorkspaceFile[] = ['config', 'state', 'id', 'adminConf'];

const CHECKED_FILES: readonly WorkspaceFile[] = ['config', 'state', 'masterSecret', 'id', 'adminConf'];

/** Refuses (WORKSPACE_FILE_EXISTS) a workspace that has any file `up` would write, the master secret included. */
export async function assertWorkspaceFree(workspace: string, command: ClusterCommand): Promise<void> {
  for (const file of CHECKED_FILES) {
    const path = workspacePath(workspace, file);
    if (await exists(path)) {
      const remedy =
        file === 'masterSecret'
          ? `it belongs to an earlier cluster (${command} down keeps it on purpose): move it away or delete it, or use another --workspace`
          : `move it away, run 'constellation ${command} down', or use another --workspace`;
      throw new InputError(
        'WORKSPACE_FILE_EXISTS',
        `Expected no ${WORKSPACE_FILES[file]} in the workspace (${command} up writes it), found ${path}: ${remedy}`,
      );
    }
  }
}

/** What `up` started, as constellation-state.json records it for init and verify. */
export interface StartedInfrastructure {
  readonly initEndpoint: string;
  readonly metadataUrl: string;
  readonly initSecret: Buffer;
  readonly nodes: readonly StateNode[];
}

export async function writeInfrastructureState(
  workspace: string,
  started: StartedInfrastructure,
  provider: Infrastructure['provider'],
): Promise<void> {
  await writeState(workspace, {
    version: 1,
    infrastructure: {
      provider,
      initEndpoint: started.initEndpoint,
      metadataUrl: started.metadataUrl,
      initSecret: started.initSecret.toString('hex'),
      nodes: started.nodes.map(({ name, role, address }) => ({ name, role, address })),
    },
  });
}

/** What the config of a started cluster is made of. */
export interface StartedClusterConfig {
  readonly name: string;
  /** The policy of the image the nodes boot: its tpm keys (PCRs, unlogged PCRs…) replace the default policy's. */
  readonly image: ImagePolicyJson;
  /** Absolute paths; the config names them relative to the workspace. */
  readonly ekRootsFile: string;
  readonly ekIntermediatesFile: string;
  readonly nodes: readonly { readonly role: string; readonly ekFingerprint: string }[];
  readonly stateDisk: ClusterConfig['stateDisk'];
}

/** The default config with the image's TPM policy, the cluster's EK roots and its control-plane nodes' EKs. */
export function startedClusterConfig(workspace: string, started: StartedClusterConfig): ClusterConfig {
  const defaults = defaultConfig();
  const defaultPolicy = defaults.attestation.policy as { tpm?: Record<string, unknown> };
  return {
    ...defaults,
    name: started.name,
    attestation: {
      ...defaults.attestation,
      // The image's tpm keys (its PCRs, and how it logs them) replace the defaults'.
      policy: { ...defaultPolicy, tpm: { ...defaultPolicy.tpm, ...started.image.tpm } },
      ekRoots: relative(workspace, started.ekRootsFile),
      ekIntermediates: relative(workspace, started.ekIntermediatesFile),
    },
    controlPlaneEks: started.nodes.filter((node) => node.role === 'control-plane').map((node) => node.ekFingerprint),
    kubernetes: { mode: 'none' },
    stateDisk: started.stateDisk,
  };
}

export interface ClusterDownReport {
  readonly stopped: readonly string[];
  readonly removed: readonly string[];
  /** Files left on purpose, with the reason. */
  readonly kept: readonly { path: string; reason: string }[];
}

/**
 * The rest of `down` once the cluster is destroyed: when it had a directory (`removedDir`), removes the cluster's
 * workspace files, and the master secret only with `deleteMasterSecret`.
 */
export async function removeClusterWorkspace(
  workspace: string,
  destroyed: { readonly stopped: readonly string[]; readonly removedDir?: string },
  options: { readonly deleteMasterSecret?: boolean; readonly command: ClusterCommand },
): Promise<ClusterDownReport> {
  if (destroyed.removedDir === undefined) return { stopped: destroyed.stopped, removed: [], kept: [] };
  const removed: string[] = [destroyed.removedDir];
  const files =
    options.deleteMasterSecret === true
      ? [...CLUSTER_WORKSPACE_FILES, 'masterSecret' as const]
      : CLUSTER_WORKSPACE_FILES;
  for (const file of files) {
    const path = workspacePath(workspace, file);
    if (await exists(path)) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  const kept: { path: string; reason: string }[] = [];
  const masterSecret = workspacePath(workspace, 'masterSecret');
  if (options.deleteMasterSecret !== true && (await exists(masterSecret))) {
    kept.push({
      path: masterSecret,
      reason: `a master secret is never deleted implicitly; delete it (or pass --delete-master-secret) before the next ${options.command} up`,
    });
  }
  return { stopped: destroyed.stopped, removed, kept };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
