// constellation-mini/cluster.json: what `mini up` created (id, network, nodes, image), so `mini status|down` act
// on exactly that and on nothing else. Written before anything is started.
import type { AgentRuntime } from '../local-cluster/agent-command.js';
import { validateClusterNode } from '../local-cluster/cluster-record.js';
import { fieldFailure, readRecordFile, writeRecordFile } from '../local-cluster/record-file.js';
import type { Accelerator } from './acceleration.js';
import type { NodeRole } from './vm-spec.js';

export const MINI_RECORD_VERSION = 1;
export const MINI_RECORD_INVALID = 'MINI_RECORD_INVALID';

export interface MiniNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly address: string;
  readonly mac: string;
}

export interface MiniRecord {
  readonly version: typeof MINI_RECORD_VERSION;
  readonly createdAt: string;
  /** 8 hex digits; every host object (namespace, link) carries it. */
  readonly id: string;
  readonly subnet: string;
  readonly imageDir: string;
  readonly accelerator: Accelerator;
  readonly vcpus: number;
  /** "ip:port" of the host-side metadata service. */
  readonly metadataListen: string;
  readonly runtime: AgentRuntime;
  readonly nodes: readonly MiniNode[];
}

export async function writeMiniRecord(path: string, record: MiniRecord): Promise<void> {
  await writeRecordFile(path, record);
}

export async function readMiniRecord(path: string): Promise<MiniRecord> {
  const value = await readRecordFile(path, {
    notFound: {
      code: 'MINI_CLUSTER_NOT_FOUND',
      message: (file) =>
        `Expected a VM cluster in this workspace (${file}), found none: run 'constellation mini up' first`,
    },
    invalidCode: MINI_RECORD_INVALID,
  });
  return validateMiniRecord(value, path);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

export function validateMiniRecord(value: unknown, source: string): MiniRecord {
  const fail = fieldFailure(MINI_RECORD_INVALID, source);
  if (typeof value !== 'object' || value === null) return fail('the record', 'an object', value);
  const r = value as Record<string, unknown>;
  if (r.version !== MINI_RECORD_VERSION) fail('.version', String(MINI_RECORD_VERSION), r.version);
  if (typeof r.createdAt !== 'string') fail('.createdAt', 'a time', r.createdAt);
  if (typeof r.id !== 'string' || !/^[0-9a-f]{8}$/.test(r.id)) fail('.id', '8 hex digits', r.id);
  if (typeof r.subnet !== 'string' || !/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(r.subnet)) fail('.subnet', 'a.b.c', r.subnet);
  if (typeof r.imageDir !== 'string') fail('.imageDir', 'a directory', r.imageDir);
  if (r.accelerator !== 'kvm' && r.accelerator !== 'tcg') fail('.accelerator', '"kvm" or "tcg"', r.accelerator);
  if (typeof r.vcpus !== 'number' || !Number.isInteger(r.vcpus) || r.vcpus < 1) fail('.vcpus', 'a count', r.vcpus);
  if (typeof r.metadataListen !== 'string') fail('.metadataListen', '"ip:port"', r.metadataListen);
  if (r.runtime !== 'dist' && r.runtime !== 'source') fail('.runtime', '"dist" or "source"', r.runtime);
  if (!Array.isArray(r.nodes)) return fail('.nodes', 'an array', r.nodes);
  const nodes = (r.nodes as unknown[]).map((entry, index): MiniNode => {
    const { node, fields } = validateClusterNode(entry, index, fail, { expected: 'an IPv4 address', pattern: IPV4 });
    if (typeof fields.mac !== 'string' || !MAC.test(fields.mac))
      fail(`.nodes[${index}].mac`, 'a MAC address', fields.mac);
    return { ...node, mac: fields.mac as string };
  });
  return {
    version: MINI_RECORD_VERSION,
    createdAt: r.createdAt as string,
    id: r.id as string,
    subnet: r.subnet as string,
    imageDir: r.imageDir as string,
    accelerator: r.accelerator as Accelerator,
    vcpus: r.vcpus as number,
    metadataListen: r.metadataListen as string,
    runtime: r.runtime as AgentRuntime,
    nodes,
  };
}
