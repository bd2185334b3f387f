// cluster.json: what `local up` created, so `local start|stop|status|down` act on exactly that (addresses,
// nodes, which workspace files belong to the cluster) and on nothing else.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { AgentRuntime } from './agent-command.js';
import type { NodeRole } from './machine-spec.js';

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
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}

export async function readClusterRecord(path: string): Promise<ClusterRecord> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(
      missing ? 'LOCAL_CLUSTER_NOT_FOUND' : CLUSTER_RECORD_INVALID,
      missing
        ? `expected a local cluster in this workspace (${path}), found none: run 'constellation local up' first`
        : `${path}: expected a JSON cluster record, found: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return validateClusterRecord(value, path);
}

function validateClusterRecord(value: unknown, source: string): ClusterRecord {
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new InputError(
      CLUSTER_RECORD_INVALID,
      `${source}: ${field} expected ${expected}, found ${JSON.stringify(found)}`,
    );
  };
  if (typeof value !== 'object' || value === null) return fail('the record', 'an object', value);
  const record = value as Record<string, unknown>;
  if (record.version !== CLUSTER_RECORD_VERSION) fail('.version', String(CLUSTER_RECORD_VERSION), record.version);
  if (typeof record.createdAt !== 'string') fail('.createdAt', 'a time', record.createdAt);
  if (typeof record.metadataListen !== 'string') fail('.metadataListen', '"ip:port"', record.metadataListen);
  if (record.runtime !== 'dist' && record.runtime !== 'source') fail('.runtime', '"dist" or "source"', record.runtime);
  if (!Array.isArray(record.nodes)) return fail('.nodes', 'an array', record.nodes);
  const nodes = (record.nodes as unknown[]).map((node, index): ClusterNode => {
    const n = (typeof node === 'object' && node !== null ? node : {}) as Record<string, unknown>;
    if (typeof n.name !== 'string' || !/^[a-z0-9-]{1,63}$/.test(n.name))
      fail(`.nodes[${index}].name`, 'a node name', n.name);
    if (n.role !== 'control-plane' && n.role !== 'worker')
      fail(`.nodes[${index}].role`, 'control-plane|worker', n.role);
    if (typeof n.address !== 'string') fail(`.nodes[${index}].address`, 'an IP address', n.address);
    return { name: n.name as string, role: n.role as NodeRole, address: n.address as string };
  });
  return {
    version: CLUSTER_RECORD_VERSION,
    createdAt: record.createdAt as string,
    metadataListen: record.metadataListen as string,
    runtime: record.runtime as AgentRuntime,
    nodes,
  };
}
