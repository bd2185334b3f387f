// The measurement secret (and the cluster id derived from it) is the same for every node of the cluster,
// so the JoinService asks the KMS for it once and keeps it in memory next to the cluster material it
// already holds; only the disk key is per node, so a join costs one KMS call. A failed fetch is not kept:
// the next join asks again (e.g. the KMS was still waiting for the master secret).
import { deriveClusterId, MEASUREMENT_SECRET_ID } from '../../lib/crypto/index.js';
import type { KeySource } from './ports.js';

export const MEASUREMENT_SECRET_LENGTH = 32;

export interface MeasurementSecrets {
  readonly measurementSecret: Buffer;
  readonly clusterId: Buffer;
}

export interface ClusterSecrets {
  measurement(): Promise<MeasurementSecrets>;
}

export function cachedClusterSecrets(keys: KeySource, measurementSalt: Buffer): ClusterSecrets {
  let cached: Promise<MeasurementSecrets> | undefined;
  return {
    measurement: () => {
      cached ??= keys.getDataKey(MEASUREMENT_SECRET_ID, MEASUREMENT_SECRET_LENGTH).then(
        (measurementSecret) => ({
          measurementSecret,
          clusterId: deriveClusterId(measurementSecret, measurementSalt),
        }),
        (error: unknown) => {
          cached = undefined;
          throw error;
        },
      );
      return cached;
    },
  };
}
