// cluster.json: what `local up` created, so `local start|stop|status|down` act on exactly that (addresses,
// nodes, which workspace files belong to the cluster) and on nothing else.
import type { AgentRuntime } from './agent-command.js';
import type { NodeRole } from './machine-spec.js';
import { fieldFailure, readRecordFile, writeRecordFile, type FieldFailure } from './record-file.js';

export const CLUSTER_RECORD_VERSION = 1;
export const CLUSTER_RECORD_INVALID = 'CLUSTER_RECORD_INVALID';

export interface ClusterNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly address: string;
}

export interface ClusterRecord {
  readonly version: typeof CLUSTER_RECORD_VERSION;
  readonly createdAt: string;
  /** "ip:port" of the host-side metadata service. */
  readonly metadataListen: string;
  readonly runtime: AgentRuntime;
  readonly nodes: readonly ClusterNode[];
}

export async function writeClusterRecord(path: string, record: ClusterRecord): Promise<void> {
  await writeRecordFile(path, record);
}

export async function readClusterRecord(path: string): Promise<ClusterRecord> {
  const value = await readRecordFile(path, {
    notFound: {
      code: 'LOCAL_CLUSTER_NOT_FOUND',
      message: (file) =>
        `expected a local cluster in this workspace (${file}), found none: run 'constellation local up' first`,
    },
    invalidCode: CLUSTER_RECORD_INVALID,
  });
  return validateClusterRecord(value, path);
}

const NODE_NAME = /^[a-z0-9-]{1,63}$/;

/**
 * Checks the fields every cluster's node entry has (name, role, address) and gives them typed, with the entry's
 * other fields for the caller to check (a VM's MAC).
 */
export function validateClusterNode(
  value: unknown,
  index: number,
  fail: FieldFailure,
  address: { readonly expected: string; readonly pattern?: RegExp },
): { node: ClusterNode; fields: Record<string, unknown> } {
  const n = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof n.name !== 'string' || !NODE_NAME.test(n.name)) fail(`.nodes[${index}].name`, 'a node name', n.name);
  if (n.role !== 'control-plane' && n.role !== 'worker') fail(`.nodes[${index}].role`, 'control-plane|worker', n.role);
  if (typeof n.address !== 'string' || (address.pattern !== undefined && !address.pattern.test(n.address)))
    fail(`.nodes[${index}].address`, address.expected, n.address);
  return { node: { name: n.name, role: n.role, address: n.address }, fields: n };
}

function validateClusterRecord(value: unknown, source: string): ClusterRecord {
  const fail = fieldFailure(CLUSTER_RECORD_INVALID, source);
  if (typeof value !== 'object' || value === null) return fail('the record', 'an object', value);
  const record = value as Record<string, unknown>;
  if (record.version !== CLUSTER_RECORD_VERSION) fail('.version', String(CLUSTER_RECORD_VERSION), record.version);
  if (typeof record.createdAt !== 'string') fail('.createdAt', 'a time', record.createdAt);
  if (typeof record.metadataListen !== 'string') fail('.metadataListen', '"ip:port"', record.metadataListen);
  if (record.runtime !== 'dist' && record.runtime !== 'source') fail('.runtime', '"dist" or "source"', record.runtime);
  if (!Array.isArray(record.nodes)) return fail('.nodes', 'an array', record.nodes);
  const nodes = (record.nodes as unknown[]).map(
    (node, index) => validateClusterNode(node, index, fail, { expected: 'an IP address' }).node,
  );
  return {
    version: CLUSTER_RECORD_VERSION,
    createdAt: record.createdAt as string,
    metadataListen: record.metadataListen as string,
    runtime: record.runtime as AgentRuntime,
    nodes,
  };
}
