// KeyService.GetDataKey: the same id always yields the same key (HKDF from the master secret, info 'key-' + id),
// so callers store ids, never keys. Thin handler: validate the request, derive, answer.
import { deriveDataKey } from '../../lib/crypto/index.js';
import { invalidArgument } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/index.js';
import { unaryHandler } from '../../lib/rpc/index.js';
import type { GetDataKeyRequest, GetDataKeyResponse, KeyServiceServer } from '../../proto/gen/kms.js';
import type { MasterSecret } from '../../lib/crypto/index.js';

/** Where the KMS gets the master secret: a file that may appear later (main.ts) or a value held in memory. */
export interface MasterSecretProvider {
  /** Throws ConstellationError NO_MASTER_SECRET while there is none. */
  get(): Promise<MasterSecret>;
}

export const MAX_DATA_KEY_LENGTH = 4096;
export const MAX_DATA_KEY_ID_BYTES = 256;

/** Checks the request at the edge; returns the trusted id and length. */
export function checkDataKeyRequest(request: GetDataKeyRequest): { id: string; length: number } {
  const id = request.dataKeyId;
  if (id.length === 0 || Buffer.byteLength(id) > MAX_DATA_KEY_ID_BYTES || /\p{Cc}/u.test(id)) {
    throw invalidArgument('data_key_id', `1 to ${MAX_DATA_KEY_ID_BYTES} bytes without control characters`, id);
  }
  if (request.length < 1 || request.length > MAX_DATA_KEY_LENGTH) {
    throw invalidArgument('length', `1 to ${MAX_DATA_KEY_LENGTH} bytes`, request.length);
  }
  return { id, length: request.length };
}

export function keyService(secrets: MasterSecretProvider, logger: Logger): KeyServiceServer {
  return {
    getDataKey: unaryHandler<GetDataKeyRequest, GetDataKeyResponse>(
      async (request) => {
        const { id, length } = checkDataKeyRequest(request);
        const secret = await secrets.get();
        const dataKey = deriveDataKey(secret, id, length);
        logger.debug('data key derived', { dataKeyId: id, length });
        return { dataKey };
      },
      (error, method) => {
        logger.warn('request refused', { method, error });
      },
    ),
  };
}
