// The node's state on its open state disk (constellation-runtime.md §5.6, with the salt length checked at write
// time too — §11 item 16): node-state.json {version, role, measurementSalt (base64, 32 bytes), clusterId (hex, 32
// bytes), diskUuid}. Control-plane nodes that hold the cluster's keys (the init node) also keep the master secret,
// the join policy (+ version) and the cluster material there, so after a recovery they restart their KMS and
// JoinService without the CLI. Every write is atomic (temp file, fsync, rename) with mode 0600: the state disk is
// encrypted, but the files still hold secrets.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../lib/errors.js';
import {
  readMasterSecret,
  writeMasterSecret,
  MASTER_SECRET_FILE_NAME,
  type MasterSecret,
} from '../../lib/crypto/index.js';
import { readClusterFile } from '../joinservice/cluster-file.js';
import type { ClusterMaterial } from '../joinservice/ports.js';
import type { NodeRole } from './ports.js';

export const NODE_STATE_FILE = 'node-state.json';
export const JOIN_POLICY_FILE = 'join-policy.json';
export const CLUSTER_MATERIAL_FILE = 'cluster-material.json';
export const NODE_STATE_INVALID = 'NODE_STATE_INVALID';
export const MEASUREMENT_SALT_LENGTH = 32;

export interface NodeState {
  readonly role: NodeRole;
  readonly measurementSalt: Buffer;
  readonly clusterId: Buffer;
  readonly diskUuid: string;
}

/** What a key-holding control-plane node keeps besides its node state. Secret. */
export interface ControlPlaneKeys {
  readonly masterSecret: MasterSecret;
  /** The join policy JSON as the CLI sent it, and its version. */
  readonly joinPolicyJson: Buffer;
  readonly joinPolicyVersion: bigint;
  readonly cluster: ClusterMaterial;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function invalid(path: string, field: string, expected: string, found: unknown): InputError {
  const shown = typeof found === 'string' ? `"${found.length > 40 ? `${found.slice(0, 40)}…` : found}"` : typeof found;
  return new InputError(NODE_STATE_INVALID, `${path}: ${field} expected ${expected}, found ${shown}`);
}

/** Writes `data` to `path` so a reader sees the old or the new file, never half of one. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

export function validateNodeState(state: NodeState): NodeState {
  if (!(['control-plane', 'worker'] as readonly string[]).includes(state.role)) {
    throw invalid('node state', 'role', 'control-plane or worker', state.role);
  }
  if (state.measurementSalt.length !== MEASUREMENT_SALT_LENGTH) {
    throw invalid(
      'node state',
      'measurementSalt',
      `${MEASUREMENT_SALT_LENGTH} bytes`,
      `${state.measurementSalt.length} bytes`,
    );
  }
  if (state.clusterId.length !== 32) {
    throw invalid('node state', 'clusterId', '32 bytes', `${state.clusterId.length} bytes`);
  }
  if (!UUID.test(state.diskUuid)) throw invalid('node state', 'diskUuid', 'a lowercase UUID', state.diskUuid);
  return state;
}

export async function writeNodeState(directory: string, state: NodeState): Promise<void> {
  validateNodeState(state);
  const json = {
    version: 1,
    role: state.role,
    measurementSalt: state.measurementSalt.toString('base64'),
    clusterId: state.clusterId.toString('hex'),
    diskUuid: state.diskUuid,
  };
  await writeFileAtomic(join(directory, NODE_STATE_FILE), `${JSON.stringify(json, null, 2)}\n`);
}

export async function readNodeState(directory: string): Promise<NodeState> {
  const path = join(directory, NODE_STATE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      NODE_STATE_INVALID,
      `${path}: expected a readable JSON file, found ${(error as Error).message}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid(path, '(file)', 'an object', json);
  const record = json as Record<string, unknown>;
  const known = new Set(['version', 'role', 'measurementSalt', 'clusterId', 'diskUuid']);
  const unknown = Object.keys(record).find((key) => !known.has(key));
  if (unknown !== undefined) throw invalid(path, unknown, 'no such field', unknown);
  if (record.version !== 1) throw invalid(path, 'version', '1', String(record.version));
  const { role, measurementSalt, clusterId, diskUuid } = record;
  if (role !== 'control-plane' && role !== 'worker') throw invalid(path, 'role', 'control-plane or worker', role);
  if (typeof measurementSalt !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(measurementSalt)) {
    throw invalid(path, 'measurementSalt', 'base64', measurementSalt);
  }
  if (typeof clusterId !== 'string' || !/^[0-9a-f]{64}$/.test(clusterId)) {
    throw invalid(path, 'clusterId', '64 lowercase hex chars', clusterId);
  }
  if (typeof diskUuid !== 'string') throw invalid(path, 'diskUuid', 'a UUID', diskUuid);
  return validateNodeState({
    role,
    measurementSalt: Buffer.from(measurementSalt, 'base64'),
    clusterId: Buffer.from(clusterId, 'hex'),
    diskUuid,
  });
}

export async function writeControlPlaneKeys(directory: string, keys: ControlPlaneKeys): Promise<void> {
  const masterSecretPath = join(directory, MASTER_SECRET_FILE_NAME);
  // A disk freshly prepared for this Init has no master secret; one left from an interrupted attempt on the same
  // pending disk is replaced (the disk is not bound to any cluster yet, so it protects nothing).
  await rm(masterSecretPath, { force: true });
  await writeMasterSecret(masterSecretPath, keys.masterSecret);
  await writeFileAtomic(
    join(directory, JOIN_POLICY_FILE),
    `${JSON.stringify({ version: keys.joinPolicyVersion.toString(), policy: JSON.parse(keys.joinPolicyJson.toString('utf8')) as unknown })}\n`,
  );
  const cluster = keys.cluster;
  await writeFileAtomic(
    join(directory, CLUSTER_MATERIAL_FILE),
    `${JSON.stringify({
      measurementSalt: cluster.measurementSalt.toString('hex'),
      apiServerEndpoint: cluster.apiServerEndpoint,
      token: cluster.token,
      discoveryTokenCaCertHash: cluster.discoveryTokenCaCertHash,
      controlPlaneFiles: cluster.controlPlane.files.map((file) => ({
        name: file.name,
        data: file.data.toString('base64'),
      })),
    })}\n`,
  );
}

/** The control-plane keys, or undefined when this node never held them (a joined node). */
export async function readControlPlaneKeys(directory: string): Promise<ControlPlaneKeys | undefined> {
  let masterSecret: MasterSecret;
  try {
    masterSecret = await readMasterSecret(join(directory, MASTER_SECRET_FILE_NAME));
  } catch (error) {
    if (error instanceof InputError && error.code === 'MASTER_SECRET_MISSING') return undefined;
    throw error;
  }
  const policyPath = join(directory, JOIN_POLICY_FILE);
  let policyJson: unknown;
  try {
    policyJson = JSON.parse(await readFile(policyPath, 'utf8'));
  } catch (error) {
    throw new InputError(
      NODE_STATE_INVALID,
      `${policyPath}: expected a readable JSON file, found ${(error as Error).message}`,
    );
  }
  const record = (typeof policyJson === 'object' && policyJson !== null ? policyJson : {}) as Record<string, unknown>;
  if (typeof record.version !== 'string' || !/^\d{1,19}$/.test(record.version)) {
    throw invalid(policyPath, 'version', 'a decimal string', record.version);
  }
  if (typeof record.policy !== 'object' || record.policy === null)
    throw invalid(policyPath, 'policy', 'an object', record.policy);
  return {
    masterSecret,
    joinPolicyJson: Buffer.from(JSON.stringify(record.policy)),
    joinPolicyVersion: BigInt(record.version),
    cluster: await readClusterFile(join(directory, CLUSTER_MATERIAL_FILE)),
  };
}
