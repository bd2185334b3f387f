// The KMS may start before the master secret is in place (it is written at cluster init). Until a valid file
// is there, every request re-checks it and is refused with NO_MASTER_SECRET (FAILED_PRECONDITION); once loaded,
// the secret is kept in memory and the file is not read again.
import { ConstellationError, InputError } from '../../lib/errors.js';
import { readMasterSecret, type MasterSecret } from '../../lib/crypto/index.js';
import type { Logger } from '../../lib/log/index.js';

export class MasterSecretSource {
  private loaded: MasterSecret | undefined;
  private pending: Promise<MasterSecret> | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** The master secret, loading it now if needed; throws ConstellationError NO_MASTER_SECRET while unusable. */
  get(): Promise<MasterSecret> {
    if (this.loaded !== undefined) return Promise.resolve(this.loaded);
    // Concurrent requests share one read.
    this.pending ??= this.load().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }

  private async load(): Promise<MasterSecret> {
    try {
      this.loaded = await readMasterSecret(this.path);
    } catch (error) {
      const found =
        error instanceof InputError && error.code === 'MASTER_SECRET_MISSING'
          ? 'no file there yet'
          : `an unusable file (${error instanceof Error ? error.message : 'unreadable'})`;
      throw new ConstellationError(
        'NO_MASTER_SECRET',
        `no master secret loaded: expected ${this.path}, found ${found}`,
        { cause: error },
      );
    }
    this.logger.info('master secret loaded', { file: this.path, keyBytes: this.loaded.key.length });
    return this.loaded;
  }
}
