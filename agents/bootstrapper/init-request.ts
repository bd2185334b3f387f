// Validates an InitRequest at the edge, before the node lock is taken, so a malformed request is refused while
// the node can still be initialised by a correct one (§11 item 16: the original accepted any salt length and
// produced a node that could never reboot).
import { InputError } from '../../lib/errors.js';
import {
  MASTER_SECRET_KEY_MIN_LENGTH,
  MASTER_SECRET_SALT_MIN_LENGTH,
  type MasterSecret,
} from '../../lib/crypto/index.js';
import type { InitRequest } from '../../proto/gen/init.js';
import { parseJoinPolicyBytes, type JoinPolicy } from '../joinservice/join-policy.js';
import { MEASUREMENT_SALT_LENGTH } from './node-state.js';

export const INIT_REQUEST_INVALID = 'INIT_REQUEST_INVALID';
/** The version of the join policy a fresh cluster starts with; signed updates must exceed it. */
export const INITIAL_JOIN_POLICY_VERSION = 1n;
const MAX_SECRET_BYTES = 64;
const MAX_KUBERNETES_CONFIG_BYTES = 256 * 1024;

export interface ValidInitRequest {
  readonly masterSecret: MasterSecret;
  readonly measurementSalt: Buffer;
  readonly clusterName: string;
  readonly kubernetesConfig: Buffer;
  readonly joinPolicyJson: Buffer;
  readonly joinPolicy: JoinPolicy;
}

function invalid(field: string, expected: string, found: string): InputError {
  return new InputError(INIT_REQUEST_INVALID, `${field}: expected ${expected}, found ${found}`);
}

function bytes(value: Uint8Array, field: string, min: number, max: number): Buffer {
  if (value.length < min || value.length > max) {
    throw invalid(field, min === max ? `${min} bytes` : `${min} to ${max} bytes`, `${value.length} bytes`);
  }
  return Buffer.from(value);
}

export function validateInitRequest(request: InitRequest): ValidInitRequest {
  const masterSecret = {
    key: bytes(request.masterKey, 'master_key', MASTER_SECRET_KEY_MIN_LENGTH, MAX_SECRET_BYTES),
    salt: bytes(request.masterSalt, 'master_salt', MASTER_SECRET_SALT_MIN_LENGTH, MAX_SECRET_BYTES),
  };
  const measurementSalt = bytes(
    request.measurementSalt,
    'measurement_salt',
    MEASUREMENT_SALT_LENGTH,
    MEASUREMENT_SALT_LENGTH,
  );
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(request.clusterName)) {
    throw invalid('cluster_name', 'a DNS label ([a-z0-9-], 1-63 chars)', `"${request.clusterName.slice(0, 70)}"`);
  }
  const kubernetesConfig = bytes(request.kubernetesConfig, 'kubernetes_config', 0, MAX_KUBERNETES_CONFIG_BYTES);
  const joinPolicyJson = Buffer.from(request.joinPolicyJson);
  const joinPolicy = parseJoinPolicyBytes(joinPolicyJson, INITIAL_JOIN_POLICY_VERSION);
  return {
    masterSecret,
    measurementSalt,
    clusterName: request.clusterName,
    kubernetesConfig,
    joinPolicyJson,
    joinPolicy,
  };
}
