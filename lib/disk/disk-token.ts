// Our LUKS2 tokens. Token 0 marks whether the disk is bound to a cluster (runtime §7.1): the original's JSON,
// unchanged, so a disk formatted by either can be told apart the same way. Token 1 is the cluster hint: the
// public part of the node's membership, readable before the disk is open. A restarting node needs the
// measurement salt to check that the JoinService it asks for its disk key measures the node's own cluster
// (lib/join rejoinCluster compares the service's PCR 15 with clusterMeasurement(deriveClusterId(secret, salt))).
// Both values are public: the cluster id is in every node's PCR 15 and the salt only keys that derivation. A
// tampered hint can only make rejoin refuse (the node then waits for recovery); resumeNode re-checks the secret
// against the node state on the encrypted disk after unlocking. In the header it survives a reboot of an image
// whose /var is a tmpfs, and it goes with the disk it describes.
import { VerificationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES } from './state-disk.js';

export const STATE_DISK_TOKEN_ID = 0;
export const STATE_DISK_TOKEN_TYPE = 'constellation-state-disk';

export const CLUSTER_HINT_TOKEN_ID = 1;
export const CLUSTER_HINT_TOKEN_TYPE = 'constellation-cluster-hint';

export interface DiskToken {
  readonly diskIsInitialized: boolean;
}

export interface ClusterHint {
  readonly measurementSalt: Buffer;
  readonly clusterId: Buffer;
}

const HEX_32 = /^[0-9a-f]{64}$/;

export function serializeDiskToken(token: DiskToken): string {
  return JSON.stringify({ type: STATE_DISK_TOKEN_TYPE, keyslots: [], diskIsInitialized: token.diskIsInitialized });
}

export function serializeClusterHintToken(hint: ClusterHint): string {
  return JSON.stringify({
    type: CLUSTER_HINT_TOKEN_TYPE,
    keyslots: [],
    measurementSalt: hint.measurementSalt.toString('hex'),
    clusterId: hint.clusterId.toString('hex'),
  });
}

function invalid(field: string, expected: string, found: unknown): VerificationError {
  return new VerificationError(
    STATE_DISK_ERROR_CODES.DISK_HEADER_INVALID,
    `LUKS header field ${field}: expected ${expected}, found ${found === undefined ? 'nothing' : JSON.stringify(found)}`,
  );
}

/** A token object of `type` with exactly `fields` besides type and keyslots, bound to no keyslot. */
function tokenRecord(value: unknown, field: string, type: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object', value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['type', 'keyslots', ...fields].includes(key)) throw invalid(`${field}.${key}`, 'no such field', record[key]);
  }
  if (record.type !== type) throw invalid(`${field}.type`, `"${type}"`, record.type);
  // A token bound to keyslots could be used by cryptsetup to unlock them (token plugins): ours never is.
  if (!Array.isArray(record.keyslots) || record.keyslots.length !== 0) {
    throw invalid(`${field}.keyslots`, '[]', record.keyslots);
  }
  return record;
}

/** Exactly {"type": "constellation-state-disk", "keyslots": [], "diskIsInitialized": bool}. */
export function parseDiskToken(value: unknown, field: string): DiskToken {
  const record = tokenRecord(value, field, STATE_DISK_TOKEN_TYPE, ['diskIsInitialized']);
  if (typeof record.diskIsInitialized !== 'boolean') {
    throw invalid(`${field}.diskIsInitialized`, 'true or false', record.diskIsInitialized);
  }
  return { diskIsInitialized: record.diskIsInitialized };
}

/** The hint's two hex fields, as the LUKS token and the directory header both carry them; `fail` names a field. */
export function parseClusterHintFields(
  record: Record<string, unknown>,
  fail: (key: string, expected: string, found: unknown) => Error,
): ClusterHint {
  const hex = (key: 'measurementSalt' | 'clusterId'): Buffer => {
    const value = record[key];
    if (typeof value !== 'string' || !HEX_32.test(value)) throw fail(key, '64 lower-case hex digits', value);
    return Buffer.from(value, 'hex');
  };
  return { measurementSalt: hex('measurementSalt'), clusterId: hex('clusterId') };
}

/** Exactly {"type": "constellation-cluster-hint", "keyslots": [], "measurementSalt": hex, "clusterId": hex}. */
export function parseClusterHintToken(value: unknown, field: string): ClusterHint {
  const record = tokenRecord(value, field, CLUSTER_HINT_TOKEN_TYPE, ['measurementSalt', 'clusterId']);
  return parseClusterHintFields(record, (key, expected, found) => invalid(`${field}.${key}`, expected, found));
}

export function sameClusterHint(a: ClusterHint | undefined, b: ClusterHint): boolean {
  return a !== undefined && a.measurementSalt.equals(b.measurementSalt) && a.clusterId.equals(b.clusterId);
}
