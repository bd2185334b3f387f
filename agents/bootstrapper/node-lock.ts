// The one-time node lock shared by Init and join (constellation-runtime.md §5.1 item 7): the first caller wins,
// every later caller is refused, and there is no unlock. Only the holder may extend PCR 15, once, with
// clusterMeasurementDigest(clusterId), so PCR 15 == clusterMeasurement(clusterId) and a node can never carry two
// cluster ids. Taking the lock is synchronous: two callers in the same tick cannot both win.
import { ConstellationError } from '../../lib/errors.js';
import { clusterMeasurementDigest } from '../../lib/crypto/index.js';

export const NODE_ALREADY_ACTIVATING = 'NODE_ALREADY_ACTIVATING';
export const CLUSTER_MEASUREMENT_PCR = 15;

export type LockOwner = 'init' | 'join' | 'rejoin' | 'recovery';

/** Extends one PCR's sha256 bank (Tpm.pcrExtend bound to the node's TPM). */
export type PcrExtender = (pcr: number, digests: { sha256: Buffer }) => Promise<void>;

export interface NodeLockHolder {
  readonly owner: LockOwner;
  /** Extends PCR 15 with SHA-256(clusterId); at most once per lock. */
  measureCluster(clusterId: Buffer): Promise<void>;
}

export class NodeLock {
  readonly #extend: PcrExtender;
  #holder: NodeLockHolder | undefined;

  constructor(extend: PcrExtender) {
    this.#extend = extend;
  }

  get owner(): LockOwner | undefined {
    return this.#holder?.owner;
  }

  /** The holder when `owner` is first; undefined when anyone took the lock before. */
  tryLock(owner: LockOwner): NodeLockHolder | undefined {
    if (this.#holder !== undefined) return undefined;
    let measured = false;
    const extend = this.#extend;
    const holder: NodeLockHolder = {
      owner,
      async measureCluster(clusterId) {
        if (measured) {
          throw new ConstellationError(
            'CLUSTER_ALREADY_MEASURED',
            'Expected PCR 15 to be extended once per boot, found a second extension attempt',
          );
        }
        const digest = clusterMeasurementDigest(clusterId);
        measured = true;
        await extend(CLUSTER_MEASUREMENT_PCR, { sha256: digest });
      },
    };
    this.#holder = holder;
    return holder;
  }
}

/** The error a second activation attempt gets (FAILED_PRECONDITION). */
export function nodeAlreadyActivating(owner: LockOwner | undefined): ConstellationError {
  return new ConstellationError(
    NODE_ALREADY_ACTIVATING,
    `Expected a node that is not yet being activated, found activation by ${owner ?? 'another request'} in progress`,
  );
}
