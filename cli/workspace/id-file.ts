// constellation-id.json: the identity of an initialised cluster, for tools and people that need the cluster
// id (verify computes the expected PCR 15 from it) without the state file's init secret. Written once by init.
import { InputError } from '../../lib/errors.js';
import { FieldIssues } from './field-issues.js';
import { readWorkspaceFile, workspacePath, writeWorkspaceFile } from './files.js';

export const ID_FILE_INVALID = 'ID_FILE_INVALID';

export interface ClusterIdFile {
  /** Hex of the 32-byte cluster id. */
  readonly clusterId: string;
  /** Hex of the 32-byte owner id. */
  readonly ownerId: string;
  readonly clusterName: string;
  /** "ip:port" of the node that was initialised. */
  readonly initEndpoint: string;
}

const KEYS = ['clusterId', 'ownerId', 'clusterName', 'initEndpoint'];
const HEX32 = /^[0-9a-f]{64}$/;

export function parseIdFile(text: string, source: string = 'constellation-id.json'): ClusterIdFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      ID_FILE_INVALID,
      `${source}: expected JSON, found a parse error (${(error as Error).message})`,
    );
  }
  const issues = new FieldIssues(ID_FILE_INVALID, source);
  if (!issues.object('', value, KEYS)) issues.throwIfAny();
  const v = value as Readonly<Record<string, unknown>>;
  const result: ClusterIdFile = {
    clusterId: issues.string('clusterId', v['clusterId'], HEX32, '64 lowercase hex chars'),
    ownerId: issues.string('ownerId', v['ownerId'], HEX32, '64 lowercase hex chars'),
    clusterName: issues.string('clusterName', v['clusterName'], /^.{1,63}$/, 'a cluster name'),
    initEndpoint: issues.string('initEndpoint', v['initEndpoint'], /^\S+:\d{1,5}$/, '"ip:port"'),
  };
  issues.throwIfAny();
  return result;
}

export async function readIdFile(workspace: string): Promise<ClusterIdFile> {
  const path = workspacePath(workspace, 'id');
  return parseIdFile((await readWorkspaceFile(path, "'constellation init'")).toString('utf8'), path);
}

/** Never replaces an existing id file: a second cluster in the same workspace would orphan the first. */
export async function writeIdFile(workspace: string, id: ClusterIdFile): Promise<string> {
  const path = workspacePath(workspace, 'id');
  await writeWorkspaceFile(path, `${JSON.stringify(id, null, 2)}\n`, { overwrite: false });
  return path;
}
