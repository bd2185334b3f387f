// The race between rejoin and recovery on a node with an initialised disk (constellation-runtime.md §7.3): both
// may produce a disk key; attempts are serialised, each is tried against the disk before it is accepted (§11
// item 4: the original accepted any master secret and then failed to boot), and the first that opens the disk
// wins. A rejected key changes nothing and the node keeps waiting.
import { ConstellationError } from '../../lib/errors.js';
import type { MasterSecret } from '../../lib/crypto/index.js';
import type { StateDisk } from './ports.js';

export const NODE_ALREADY_RECOVERED = 'NODE_ALREADY_RECOVERED';
export const DISK_KEY_REJECTED = 'DISK_KEY_REJECTED';

export interface Unlocked {
  readonly via: 'rejoin' | 'recovery';
  readonly measurementSecret: Buffer;
  /** Only from recovery: the master secret the CLI sent. */
  readonly masterSecret?: MasterSecret;
}

export class DiskUnlock {
  readonly #disk: Pick<StateDisk, 'open'>;
  #queue: Promise<unknown> = Promise.resolve();
  #unlocked: Unlocked | undefined;
  #resolve!: (value: Unlocked) => void;
  /** Resolves once, with the attempt that opened the disk. */
  readonly unlocked: Promise<Unlocked>;

  constructor(disk: Pick<StateDisk, 'open'>) {
    this.#disk = disk;
    this.unlocked = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get isUnlocked(): boolean {
    return this.#unlocked !== undefined;
  }

  /** Opens the disk with `diskKey`; throws DISK_KEY_REJECTED (nothing changed) or NODE_ALREADY_RECOVERED. */
  attempt(diskKey: Buffer, result: Unlocked): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#unlocked !== undefined) {
        throw new ConstellationError(
          NODE_ALREADY_RECOVERED,
          `Expected a node waiting for its disk key, found one already unlocked by ${this.#unlocked.via}`,
        );
      }
      await this.#disk.open(diskKey);
      this.#unlocked = result;
      this.#resolve(result);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
