// RecoverService.Recover: a control-plane node whose disk is initialised waits for the master secret. The key it
// derives for this disk is tried against the disk first; a wrong master secret is refused with FAILED_PRECONDITION
// RECOVERY_KEY_REJECTED, nothing else happens and the node keeps waiting (§11 item 4: the original stopped and
// rebooted on any caller's secret). Every decision is one audit line, never with the secret.
import type { AuditLog } from '../../lib/log/index.js';
import { ConstellationError, InputError } from '../../lib/errors.js';
import {
  deriveDiskKey,
  deriveMeasurementSecret,
  MASTER_SECRET_KEY_MIN_LENGTH,
  MASTER_SECRET_SALT_MIN_LENGTH,
} from '../../lib/crypto/index.js';
import type { RecoverRequest, RecoverResponse, RecoverServiceServer } from '../../proto/gen/recover.js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { DISK_KEY_REJECTED, type DiskUnlock } from './disk-unlock.js';
import { toBootstrapperServiceError } from './rpc-status.js';

export const RECOVERY_KEY_REJECTED = 'RECOVERY_KEY_REJECTED';
export const RECOVER_REQUEST_INVALID = 'RECOVER_REQUEST_INVALID';
const MAX_SECRET_BYTES = 64;

export interface RecoverServiceDeps {
  readonly diskUuid: string;
  readonly nodeName: string;
  readonly unlock: DiskUnlock;
  readonly audit: AuditLog;
}

function secretField(value: Uint8Array, field: string, min: number): Buffer {
  if (value.length < min || value.length > MAX_SECRET_BYTES) {
    throw new InputError(
      RECOVER_REQUEST_INVALID,
      `${field}: expected ${min} to ${MAX_SECRET_BYTES} bytes, found ${value.length} bytes`,
    );
  }
  return Buffer.from(value);
}

async function recover(request: RecoverRequest, deps: RecoverServiceDeps): Promise<RecoverResponse> {
  const masterSecret = {
    key: secretField(request.masterKey, 'master_key', MASTER_SECRET_KEY_MIN_LENGTH),
    salt: secretField(request.masterSalt, 'master_salt', MASTER_SECRET_SALT_MIN_LENGTH),
  };
  try {
    await deps.unlock.attempt(deriveDiskKey(masterSecret, deps.diskUuid), {
      via: 'recovery',
      measurementSecret: deriveMeasurementSecret(masterSecret),
      masterSecret,
    });
  } catch (error) {
    if (error instanceof ConstellationError && error.code === DISK_KEY_REJECTED) {
      throw new ConstellationError(
        RECOVERY_KEY_REJECTED,
        `Expected the master secret of the cluster this node belongs to, found one whose key does not open disk ${deps.diskUuid}; the node keeps waiting`,
      );
    }
    throw error;
  }
  return { nodeName: deps.nodeName };
}

export function recoverService(deps: RecoverServiceDeps): RecoverServiceServer {
  return {
    recover: (call: ServerUnaryCall<RecoverRequest, RecoverResponse>, callback: sendUnaryData<RecoverResponse>) => {
      const subject = { peer: call.getPeer(), disk: deps.diskUuid };
      recover(call.request, deps).then(
        (response) => {
          deps.audit.record({ action: 'Recover', outcome: 'granted', subject });
          callback(null, response);
        },
        (error: unknown) => {
          deps.audit.record({
            action: 'Recover',
            outcome: 'denied',
            subject,
            code: error instanceof ConstellationError ? error.code : 'INTERNAL',
            ...(error instanceof ConstellationError ? { reason: error.message } : {}),
          });
          callback(toBootstrapperServiceError(error));
        },
      );
    },
  };
}
