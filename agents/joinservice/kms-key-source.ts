// KeySource over the KMS agent's KeyService (plain gRPC on loopback: the KMS runs on the same node).
import type { KeyObject } from 'node:crypto';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ConstellationError } from '../../lib/errors.js';
import { ADMIN_SIGNING_KEY_ID, adminSigningKeyFromSeed } from '../../lib/crypto/index.js';
import { KeyServiceClient, type GetDataKeyResponse } from '../../proto/gen/kms.js';
import type { KeySource } from './ports.js';

export const KMS_UNAVAILABLE = 'KMS_UNAVAILABLE';

export interface KmsKeySource extends KeySource {
  close(): void;
}

export function kmsKeySource(address: string, timeoutMs = 5000): KmsKeySource {
  const client = new KeyServiceClient(address, credentials.createInsecure());
  return {
    getDataKey: (id, length) =>
      new Promise((resolve, reject) => {
        client.getDataKey(
          { dataKeyId: id, length },
          new Metadata(),
          { deadline: Date.now() + timeoutMs },
          (error: ServiceError | null, response: GetDataKeyResponse) => {
            if (error === null && response.dataKey.length === length) resolve(response.dataKey);
            else
              reject(
                new ConstellationError(
                  KMS_UNAVAILABLE,
                  `Expected a ${length}-byte data key from the KMS at ${address}, found ${error === null ? `${response.dataKey.length} bytes` : error.details}`,
                ),
              );
          },
        );
      }),
    close: () => {
      client.close();
    },
  };
}

/** The admin public key from the KMS: the same HKDF seed as lib/crypto adminSigningKey. */
export async function adminPublicKeyFrom(keys: KeySource): Promise<KeyObject> {
  return adminSigningKeyFromSeed(await keys.getDataKey(ADMIN_SIGNING_KEY_ID, 32)).publicKey;
}
