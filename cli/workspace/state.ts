// constellation-state.json: what exists (infrastructure: endpoints, init secret, nodes; written by whoever
// created the machines, e.g. `constellation local`) and, after init, the cluster's values. Validated on
// every read; written atomically with mode 0600 because it holds the init secret.
import { InputError } from '../../lib/errors.js';
import { FieldIssues, describeJson, join } from './field-issues.js';
import { readWorkspaceFile, workspacePath, writeWorkspaceFile } from './files.js';

export const STATE_INVALID = 'STATE_INVALID';
export const STATE_VERSION = 1;
export const NODE_ROLES = ['control-plane', 'worker'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export interface StateNode {
  readonly name: string;
  readonly role: NodeRole;
  /** IP address the node's services listen on. */
  readonly address: string;
}

export interface Infrastructure {
  /** Who runs the nodes: `local up` (machine processes) or `mini up` (QEMU VMs). */
  readonly provider: 'local' | 'qemu';
  /** "ip:port" of the node that receives Init. */
  readonly initEndpoint: string;
  readonly metadataUrl: string;
  /** One-time init secret, hex; its SHA-256 is in the metadata service. Secret. */
  readonly initSecret: string;
  readonly nodes: readonly StateNode[];
}

export interface ClusterValues {
  /** Hex of the 32-byte cluster id (PCR 15 = clusterMeasurement(clusterId)). */
  readonly clusterId: string;
  readonly ownerId: string;
  readonly measurementSalt: string;
  /** ISO 8601. */
  readonly initializedAt: string;
}

export interface WorkspaceState {
  readonly version: typeof STATE_VERSION;
  readonly infrastructure: Infrastructure;
  readonly cluster?: ClusterValues;
}

const TOP_KEYS = ['version', 'infrastructure', 'cluster'];
const INFRASTRUCTURE_KEYS = ['provider', 'initEndpoint', 'metadataUrl', 'initSecret', 'nodes'];
const NODE_KEYS = ['name', 'role', 'address'];
const CLUSTER_KEYS = ['clusterId', 'ownerId', 'measurementSalt', 'initializedAt'];
const HOST_PORT = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+):\d{1,5}$/;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;
const URL_HTTP = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const NODE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** At least 16 bytes, so the init secret cannot be guessed. */
const SECRET_HEX = /^([0-9a-f]{2}){16,64}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function parseState(text: string, source: string = 'constellation-state.json'): WorkspaceState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(STATE_INVALID, `${source}: expected JSON, found a parse error (${(error as Error).message})`);
  }
  return validateState(value, source);
}

export function validateState(value: unknown, source: string = 'constellation-state.json'): WorkspaceState {
  const issues = new FieldIssues(STATE_INVALID, source);
  if (!issues.object('', value, TOP_KEYS)) issues.throwIfAny();
  const top = value as Readonly<Record<string, unknown>>;
  if (top['version'] !== STATE_VERSION) issues.add('version', `expected 1, found ${describeJson(top['version'])}`);
  const infrastructure = validateInfrastructure(issues, top['infrastructure']);
  const cluster = top['cluster'] === undefined ? undefined : validateCluster(issues, top['cluster']);
  issues.throwIfAny();
  return { version: STATE_VERSION, infrastructure, ...(cluster === undefined ? {} : { cluster }) };
}

function validateInfrastructure(issues: FieldIssues, value: unknown): Infrastructure {
  const path = 'infrastructure';
  const empty: Infrastructure = { provider: 'local', initEndpoint: '', metadataUrl: '', initSecret: '', nodes: [] };
  if (!issues.object(path, value, INFRASTRUCTURE_KEYS)) return empty;
  const v = value;
  const provider = issues.oneOf(`${path}.provider`, v['provider'], ['local', 'qemu'] as const);
  const initEndpoint = issues.string(`${path}.initEndpoint`, v['initEndpoint'], HOST_PORT, '"ip:port"');
  const metadataUrl = issues.string(`${path}.metadataUrl`, v['metadataUrl'], URL_HTTP, 'an http(s) URL');
  // Never echo the init secret: describe it by kind only.
  const secret = v['initSecret'];
  let initSecret = '';
  if (typeof secret !== 'string' || !SECRET_HEX.test(secret)) {
    const found = typeof secret === 'string' ? `a string of ${secret.length} chars` : describeJson(secret);
    issues.add(`${path}.initSecret`, `expected 32 to 128 lowercase hex chars, found ${found}`);
  } else {
    initSecret = secret;
  }
  const nodes = validateNodes(issues, `${path}.nodes`, v['nodes']);
  return { provider, initEndpoint, metadataUrl, initSecret, nodes };
}

function validateNodes(issues: FieldIssues, path: string, value: unknown): StateNode[] {
  if (!Array.isArray(value)) {
    issues.add(path, `expected a list of nodes, found ${describeJson(value)}`);
    return [];
  }
  const names = new Set<string>();
  return value.flatMap((entry: unknown, i): StateNode[] => {
    const at = join(path, i);
    if (!issues.object(at, entry, NODE_KEYS)) return [];
    const n = entry;
    const name = issues.string(`${at}.name`, n['name'], NODE_NAME, 'a node name (lowercase DNS name)');
    if (name !== '' && names.has(name)) issues.add(`${at}.name`, `expected unique node names, found "${name}" twice`);
    names.add(name);
    const role = issues.oneOf(`${at}.role`, n['role'], NODE_ROLES);
    const address = issues.string(`${at}.address`, n['address'], IP, 'an IP address');
    return [{ name, role, address }];
  });
}

function validateCluster(issues: FieldIssues, value: unknown): ClusterValues | undefined {
  const path = 'cluster';
  if (!issues.object(path, value, CLUSTER_KEYS)) return undefined;
  const v = value;
  const hex = (key: string): string => issues.string(`${path}.${key}`, v[key], HEX32, '64 lowercase hex chars');
  return {
    clusterId: hex('clusterId'),
    ownerId: hex('ownerId'),
    measurementSalt: hex('measurementSalt'),
    initializedAt: issues.string(`${path}.initializedAt`, v['initializedAt'], ISO_TIME, 'an ISO 8601 UTC time'),
  };
}

export async function readState(workspace: string): Promise<WorkspaceState> {
  const path = workspacePath(workspace, 'state');
  const text = (
    await readWorkspaceFile(path, "the command that created the nodes ('constellation local up')")
  ).toString('utf8');
  return parseState(text, path);
}

export interface WriteStateOptions {
  /** Replace the existing state (init adds cluster values to it). Default false. */
  readonly overwrite?: boolean;
}

export async function writeState(
  workspace: string,
  state: WorkspaceState,
  options: WriteStateOptions = {},
): Promise<string> {
  const validated = validateState(JSON.parse(JSON.stringify(state)) as unknown, 'the state to write');
  const path = workspacePath(workspace, 'state');
  await writeWorkspaceFile(path, `${JSON.stringify(validated, null, 2)}\n`, {
    secret: true,
    overwrite: options.overwrite === true,
  });
  return path;
}
