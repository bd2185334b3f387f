// The public part of a node's membership, kept OUTSIDE the encrypted state disk: the measurement salt and the
// cluster id. A restarting node needs the salt before its disk is open, to check that the JoinService it asks
// for its disk key measures the node's own cluster (lib/join rejoinCluster compares the service's PCR 15 with
// clusterMeasurement(deriveClusterId(measurementSecret, salt))). Both values are public (the cluster id is
// visible in every node's PCR 15). A tampered hint can only make rejoin refuse (the node then waits for
// recovery); resumeNode re-checks the secret against the node state on the encrypted disk after unlocking.
// TODO(lead): in the VM image this belongs in the LUKS2 token (lib/disk) instead of a host file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../lib/errors.js';
import { writeFileAtomic } from './node-state.js';

export const CLUSTER_HINT_FILE = 'cluster-hint.json';

export interface ClusterHint {
  readonly measurementSalt: Buffer;
  readonly clusterId: Buffer;
}

export interface ClusterHintStore {
  read(): Promise<ClusterHint | undefined>;
  write(hint: ClusterHint): Promise<void>;
}

export function clusterHintStore(directory: string): ClusterHintStore {
  const path = join(directory, CLUSTER_HINT_FILE);
  return {
    async read() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new InputError('CLUSTER_HINT_INVALID', `${path}: expected JSON, found text that does not parse`);
      }
      const { measurementSalt, clusterId } = (typeof json === 'object' && json !== null ? json : {}) as Record<
        string,
        unknown
      >;
      if (typeof measurementSalt !== 'string' || !/^[0-9a-f]{64}$/.test(measurementSalt)) {
        throw new InputError('CLUSTER_HINT_INVALID', `${path}: measurementSalt expected 64 hex chars`);
      }
      if (typeof clusterId !== 'string' || !/^[0-9a-f]{64}$/.test(clusterId)) {
        throw new InputError('CLUSTER_HINT_INVALID', `${path}: clusterId expected 64 hex chars`);
      }
      return { measurementSalt: Buffer.from(measurementSalt, 'hex'), clusterId: Buffer.from(clusterId, 'hex') };
    },
    async write(hint) {
      await writeFileAtomic(
        path,
        `${JSON.stringify({ measurementSalt: hint.measurementSalt.toString('hex'), clusterId: hint.clusterId.toString('hex') })}\n`,
      );
    },
  };
}
