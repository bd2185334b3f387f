// Keys of a cluster: the master secret file, the HKDF derivations and the admin signing key.
export {
  MASTER_SECRET_ERROR_CODES,
  MASTER_SECRET_FILE_NAME,
  MASTER_SECRET_KEY_LENGTH,
  MASTER_SECRET_KEY_MIN_LENGTH,
  MASTER_SECRET_SALT_LENGTH,
  MASTER_SECRET_SALT_MIN_LENGTH,
  generateMasterSecret,
  parseMasterSecret,
  readMasterSecret,
  serializeMasterSecret,
  writeMasterSecret,
  type MasterSecret,
} from './master-secret.js';
export {
  CLUSTER_ID_INFO,
  DATA_KEY_PREFIX,
  DISK_KEY_LENGTH,
  MAX_DERIVED_KEY_LENGTH,
  MEASUREMENT_SECRET_ID,
  clusterMeasurement,
  clusterMeasurementDigest,
  deriveClusterId,
  deriveDataKey,
  deriveDiskKey,
  deriveMeasurementSecret,
} from './key-derivation.js';
export {
  ADMIN_SIGNING_KEY_ID,
  POLICY_UPDATE_LABEL,
  adminSigningKey,
  adminSigningKeyFromSeed,
  policyUpdateDigest,
  signPolicyUpdate,
  verifyPolicyUpdate,
  type AdminSigningKey,
} from './admin-signing.js';
