// HKDF-SHA256 derivations from the master secret, exactly as the original Constellation
// (internal/crypto DeriveKey, the cluster KMS GetDEK with the "key-" prefix, attestation.DeriveClusterID), so
// the same master secret yields the same disk keys and cluster ID.
import { createHash, hkdfSync } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { MasterSecret } from './master-secret.js';

/** Every data key ID is prefixed with this in the HKDF info (the original's `crypto.DEKPrefix`). */
export const DATA_KEY_PREFIX = 'key-';
/** Longest data key HKDF-SHA256 can produce (255 blocks of 32 bytes). */
export const MAX_DERIVED_KEY_LENGTH = 255 * 32;
export const MEASUREMENT_SECRET_ID = 'measurementSecret';
export const CLUSTER_ID_INFO = 'key-clusterID';
export const DISK_KEY_LENGTH = 32;

function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length));
}

/** HKDF-SHA256(ikm = master key, salt = master salt, info = 'key-' + id, length). */
export function deriveDataKey(secret: MasterSecret, id: string, length: number): Buffer {
  if (typeof id !== 'string' || id.length === 0) throw invalidArgument('data key id', 'a non-empty string', id);
  if (!Number.isInteger(length) || length < 1 || length > MAX_DERIVED_KEY_LENGTH) {
    throw invalidArgument('data key length', `an integer from 1 to ${MAX_DERIVED_KEY_LENGTH}`, length);
  }
  return hkdf(secret.key, secret.salt, DATA_KEY_PREFIX + id, length);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The state disk's LUKS key: data key 'key-<lowercase LUKS2 UUID>', 32 bytes. */
export function deriveDiskKey(secret: MasterSecret, diskUuid: string): Buffer {
  const uuid = typeof diskUuid === 'string' ? diskUuid.toLowerCase() : '';
  if (!UUID.test(uuid)) throw invalidArgument('disk UUID', 'a UUID such as 0f1e2d3c-…', diskUuid);
  return deriveDataKey(secret, uuid, DISK_KEY_LENGTH);
}

/** The measurement secret: data key 'key-measurementSecret', 32 bytes. Handed to nodes, never persisted there. */
export function deriveMeasurementSecret(secret: MasterSecret): Buffer {
  return deriveDataKey(secret, MEASUREMENT_SECRET_ID, 32);
}

/** clusterID = HKDF(ikm = measurement secret, salt = measurement salt, info = 'key-clusterID', 32). */
export function deriveClusterId(measurementSecret: Buffer, measurementSalt: Buffer): Buffer {
  if (!Buffer.isBuffer(measurementSecret) || measurementSecret.length === 0) {
    throw invalidArgument('measurement secret', 'a non-empty Buffer', measurementSecret);
  }
  if (!Buffer.isBuffer(measurementSalt) || measurementSalt.length === 0) {
    throw invalidArgument('measurement salt', 'a non-empty Buffer', measurementSalt);
  }
  return hkdf(measurementSecret, measurementSalt, CLUSTER_ID_INFO, 32);
}

/** The digest the Bootstrapper extends into PCR 15: SHA-256(clusterID) (TPM2_PCR_Event semantics, as the original). */
export function clusterMeasurementDigest(clusterId: Buffer): Buffer {
  if (!Buffer.isBuffer(clusterId) || clusterId.length !== 32) {
    throw invalidArgument('cluster ID', 'a Buffer of 32 bytes', clusterId);
  }
  return createHash('sha256').update(clusterId).digest();
}

/**
 * The expected PCR 15 (sha256 bank) of a node of this cluster: SHA-256(0^32 ‖ SHA-256(clusterID)), one extend
 * of the reset value with {@link clusterMeasurementDigest} — the value the original's `verify` computes.
 */
export function clusterMeasurement(clusterId: Buffer): Buffer {
  return createHash('sha256').update(Buffer.alloc(32)).update(clusterMeasurementDigest(clusterId)).digest();
}
