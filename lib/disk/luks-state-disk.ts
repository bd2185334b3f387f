// The state disk as LUKS2 through cryptsetup (DESIGN §6). Every operation on an existing header goes through a
// detached copy (runtime §7.4): back the header up into a private RAM directory, validate the copy, work on the
// copy (key checks, key changes, token updates, activation with --header), then write it back with
// luksHeaderRestore. A host that swaps the on-disk header after validation therefore changes nothing we use, and
// a key change plus its token update reach the disk in one header write. A new header starts out as such a copy:
// luksFormat writes it detached, and we write it to the disk ourselves (prepareNew).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError, invalidArgument, VerificationError } from '../errors.js';
import { execaRunner, type CryptsetupRunner } from './command-runner.js';
import { Cryptsetup } from './cryptsetup.js';
import {
  CLUSTER_HINT_TOKEN_ID,
  sameClusterHint,
  serializeClusterHintToken,
  serializeDiskToken,
  STATE_DISK_TOKEN_ID,
  type ClusterHint,
} from './disk-token.js';
import { zeroDeviceHead } from './device-head.js';
import { makeFilesystem, mountFilesystem, unmountFilesystem } from './filesystem.js';
import { validateLuksHeader } from './luks-header-policy.js';
import { hasLuksSignature, luks2HeaderUuid, ownLuks2Metadata } from './luks-signature.js';
import { LUKS_FORMAT } from './luks-format.js';
import { writeHeaderArea } from './header-area.js';
import { withPrivateWorkdir } from './private-workdir.js';
import {
  assertDiskKey,
  preparedInThisProcess,
  isDiskUuid,
  STATE_DISK_ERROR_CODES as CODES,
  type StateDisk,
  type StateDiskDescription,
  type StateDiskProbe,
} from './state-disk.js';

export interface LuksStateDiskOptions {
  /** Block device (or, for tests, a file) holding the state disk. */
  readonly device: string;
  /** device-mapper name: /dev/mapper/<mapperName> (default "state", as the original). */
  readonly mapperName?: string;
  /** Where the filesystem is mounted while open (the image uses /run/state). */
  readonly mountPoint: string;
  /** dm-integrity hmac(sha256) without the initial wipe (default true; needs device-mapper even to format). */
  readonly integrity?: boolean;
  /** Runs cryptsetup, mkfs.ext4, mount, umount (default: execa). */
  readonly cryptsetup?: CryptsetupRunner;
}

const INITIAL_KEY_BYTES = 32;
/** The header copy's name inside a private workdir. */
const HEADER_COPY = 'luks-header';
const MAPPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type Inspection = StateDiskProbe;

interface HeaderCopy {
  readonly inspection: Exclude<Inspection, { status: 'blank' }>;
  /** The validated detached header file. */
  readonly header: string;
  /** The private directory holding it (for key pipes). */
  readonly workdir: string;
}

class LuksStateDisk implements StateDisk {
  readonly description: StateDiskDescription;
  readonly mountPoint: string;
  readonly #device: string;
  readonly #mapperName: string;
  readonly #integrity: boolean;
  readonly #runner: CryptsetupRunner;
  readonly #cryptsetup: Cryptsetup;
  /** The random key of a disk formatted by this process, until bindClusterKey replaces it. */
  #initial: { key: Buffer; uuid: string } | undefined;
  #mapped = false;
  #mounted = false;

  constructor(options: Required<LuksStateDiskOptions>) {
    this.#device = options.device;
    this.#mapperName = options.mapperName;
    this.mountPoint = options.mountPoint;
    this.#integrity = options.integrity;
    this.#runner = options.cryptsetup;
    this.#cryptsetup = new Cryptsetup(options.cryptsetup);
    this.description = { kind: 'luks', encrypted: true, location: options.device };
  }

  /** Runs `body` on a validated detached copy of the header; writes the copy back when `body` says so. */
  async #withHeaderCopy<T>(body: (copy: HeaderCopy) => Promise<{ result: T; write: boolean }>): Promise<T> {
    if (!(await hasLuksSignature(this.#device))) {
      throw new ConstellationError(CODES.DISK_NOT_INITIALIZED, `Expected a LUKS header on ${this.#device}, found none`);
    }
    return withPrivateWorkdir(async (workdir) => {
      const header = join(workdir, HEADER_COPY);
      // Two processes instead of four (each costs about a second in a TCG guest): a header cryptsetup cannot back
      // up is classified by isLuks only then, and the UUID comes from the copy itself.
      try {
        await this.#cryptsetup.backupHeader(this.#device, header);
      } catch (error) {
        if (!(await this.#cryptsetup.isLuks(this.#device))) throw this.#unloadable();
        throw error;
      }
      const uuid = luks2HeaderUuid(await readFile(header));
      if (uuid === undefined) throw this.#unloadable();
      const trusted = validateLuksHeader(await this.#cryptsetup.dumpMetadata(header));
      if (!isDiskUuid(uuid)) {
        throw new VerificationError(
          CODES.DISK_HEADER_INVALID,
          `LUKS header UUID: expected a lower-case RFC 4122 UUID, found "${uuid.slice(0, 40)}"`,
        );
      }
      const status: 'initialized' | 'pending' = trusted.token?.diskIsInitialized === true ? 'initialized' : 'pending';
      const inspection = {
        status,
        uuid,
        ...(trusted.clusterHint === undefined ? {} : { clusterHint: trusted.clusterHint }),
      };
      const { result, write } = await body({ inspection, header, workdir });
      if (write) await this.#cryptsetup.restoreHeader(this.#device, header);
      return result;
    });
  }

  #unloadable(): VerificationError {
    return new VerificationError(
      CODES.DISK_HEADER_INVALID,
      `LUKS header on ${this.#device}: expected a LUKS2 header cryptsetup can load, found a LUKS signature with a damaged or foreign header; it is not reformatted automatically (wipe it with \`wipefs -a\` to start over)`,
    );
  }

  async #inspect(): Promise<Inspection> {
    if (!(await hasLuksSignature(this.#device))) return { status: 'blank' };
    return this.#withHeaderCopy(({ inspection }) => Promise.resolve({ result: inspection, write: false }));
  }

  async probe(): Promise<StateDiskProbe> {
    return this.#inspect();
  }

  /** Maps and mounts what is not yet mapped or mounted, so a retry after a failed mount completes the job. */
  async #activate(header: string, key: Buffer, fresh: boolean): Promise<void> {
    const mapped = `/dev/mapper/${this.#mapperName}`;
    if (!this.#mapped) {
      await this.#cryptsetup.open(this.#device, header, this.#mapperName, key);
      this.#mapped = true;
    }
    if (fresh) {
      // dm-integrity without its wipe: never-written sectors read as I/O errors, so mkfs must not read any.
      if (this.#integrity) await zeroDeviceHead(mapped);
      await makeFilesystem(this.#runner, mapped, { integrity: this.#integrity });
    }
    if (!this.#mounted) {
      await mountFilesystem(this.#runner, mapped, this.mountPoint);
      this.#mounted = true;
    }
  }

  async prepareNew(): Promise<{ uuid: string }> {
    const before = await this.#inspect();
    if (before.status === 'initialized') {
      throw new ConstellationError(
        CODES.DISK_ALREADY_INITIALIZED,
        `Expected a blank or pending state disk at ${this.#device}, found one initialized for a cluster (disk ${before.uuid}); it is never reformatted`,
      );
    }
    await this.close();
    this.#initial = undefined;
    const key = randomBytes(INITIAL_KEY_BYTES);
    // The header is formatted straight into the private copy that `open --header` then uses, and written to the
    // disk from there: nothing the host could change between format and open is ever read back, and no backup and
    // dump processes are needed (about 0.5 s in a TCG guest). No token yet: a header without token 0 reads as
    // pending (as after an interrupted first boot), so the original's `diskIsInitialized: false` would only cost
    // a header round trip. bindClusterKey writes the token together with the key.
    const uuid = await withPrivateWorkdir(async (workdir) => {
      const header = join(workdir, HEADER_COPY);
      await this.#cryptsetup.format(this.#device, key, { integrity: this.#integrity, header });
      const bytes = await readFile(header);
      const formatted = luks2HeaderUuid(bytes);
      const metadata = ownLuks2Metadata(bytes);
      if (formatted === undefined || metadata === undefined || !isDiskUuid(formatted)) {
        throw new ConstellationError(
          CODES.DISK_COMMAND_FAILED,
          `cryptsetup luksFormat: expected a LUKS2 header with JSON metadata and a lower-case UUID in ${header}, found none`,
        );
      }
      // What cryptsetup wrote is what we asked for (a changed default or an ignored option would show here).
      validateLuksHeader(metadata);
      await writeHeaderArea(this.#device, bytes, LUKS_FORMAT.dataOffsetBytes);
      this.#initial = { key, uuid: formatted };
      await this.#activate(header, key, true);
      return formatted;
    });
    return { uuid };
  }

  async bindClusterKey(diskKey: Buffer, hint: ClusterHint): Promise<void> {
    assertDiskKey('diskKey', diskKey);
    const initial = preparedInThisProcess(this.#initial);
    await this.#withHeaderCopy(async ({ inspection, header, workdir }) => {
      if (inspection.status !== 'pending' || inspection.uuid !== initial.uuid) {
        throw new ConstellationError(
          CODES.DISK_NOT_PREPARED,
          `Expected the pending disk ${initial.uuid} formatted by this process, found ${inspection.status} disk ${inspection.uuid}`,
        );
      }
      // Key, state token and cluster hint reach the disk in one header write.
      await this.#cryptsetup.changeKey(header, workdir, initial.key, diskKey);
      await this.#cryptsetup.importToken(header, STATE_DISK_TOKEN_ID, serializeDiskToken({ diskIsInitialized: true }));
      await this.#cryptsetup.importToken(header, CLUSTER_HINT_TOKEN_ID, serializeClusterHintToken(hint));
      validateLuksHeader(await this.#cryptsetup.dumpMetadata(header));
      return { result: undefined, write: true };
    });
    initial.key.fill(0);
    this.#initial = undefined;
  }

  #requireInitialized(inspection: HeaderCopy['inspection']): void {
    if (inspection.status !== 'initialized') {
      throw new ConstellationError(
        CODES.DISK_NOT_INITIALIZED,
        `Expected a state disk initialized for a cluster at ${this.#device}, found a pending one (disk ${inspection.uuid})`,
      );
    }
  }

  async open(diskKey: Buffer): Promise<{ mountPoint: string }> {
    assertDiskKey('diskKey', diskKey);
    await this.#withHeaderCopy(async ({ inspection, header }) => {
      this.#requireInitialized(inspection);
      // Checked without device-mapper first, so a wrong key is DISK_KEY_REJECTED on any host.
      if (!(await this.#cryptsetup.testKey(header, diskKey))) {
        throw new ConstellationError(
          CODES.DISK_KEY_REJECTED,
          `Expected a key that opens disk ${inspection.uuid}; the key given does not`,
        );
      }
      await this.#activate(header, diskKey, false);
      return { result: undefined, write: false };
    });
    return { mountPoint: this.mountPoint };
  }

  async rekey(oldKey: Buffer, newKey: Buffer): Promise<void> {
    assertDiskKey('oldKey', oldKey);
    assertDiskKey('newKey', newKey);
    await this.#withHeaderCopy(async ({ inspection, header, workdir }) => {
      this.#requireInitialized(inspection);
      await this.#cryptsetup.changeKey(header, workdir, oldKey, newKey);
      validateLuksHeader(await this.#cryptsetup.dumpMetadata(header));
      return { result: undefined, write: true };
    });
  }

  async writeClusterHint(hint: ClusterHint): Promise<void> {
    await this.#withHeaderCopy(async ({ inspection, header }) => {
      this.#requireInitialized(inspection);
      if (sameClusterHint(inspection.clusterHint, hint)) return { result: undefined, write: false };
      await this.#cryptsetup.importToken(header, CLUSTER_HINT_TOKEN_ID, serializeClusterHintToken(hint));
      validateLuksHeader(await this.#cryptsetup.dumpMetadata(header));
      return { result: undefined, write: true };
    });
  }

  async markForReset(): Promise<void> {
    if (!(await hasLuksSignature(this.#device))) return;
    await this.#withHeaderCopy(async ({ header }) => {
      await this.#cryptsetup.importToken(header, STATE_DISK_TOKEN_ID, serializeDiskToken({ diskIsInitialized: false }));
      return { result: undefined, write: true };
    });
  }

  async close(): Promise<void> {
    if (this.#mounted) {
      await unmountFilesystem(this.#runner, this.mountPoint);
      this.#mounted = false;
    }
    if (this.#mapped) {
      await this.#cryptsetup.close(this.#mapperName);
      this.#mapped = false;
    }
  }
}

/**
 * A LUKS2 state disk on `device`. Checks `cryptsetup --version` first (CRYPTSETUP_MISSING names the apt
 * command), so a node without cryptsetup fails at startup rather than at its first disk operation.
 */
export async function luksStateDisk(options: LuksStateDiskOptions): Promise<StateDisk> {
  if (typeof options.device !== 'string' || options.device === '') {
    throw invalidArgument('device', 'a device path', options.device);
  }
  if (typeof options.mountPoint !== 'string' || !options.mountPoint.startsWith('/')) {
    throw invalidArgument('mountPoint', 'an absolute path', options.mountPoint);
  }
  const mapperName = options.mapperName ?? 'state';
  if (!MAPPER_NAME.test(mapperName))
    throw invalidArgument('mapperName', 'a device-mapper name ([A-Za-z0-9_.-])', mapperName);
  const runner = options.cryptsetup ?? execaRunner;
  await new Cryptsetup(runner).version();
  return new LuksStateDisk({
    device: options.device,
    mapperName,
    mountPoint: options.mountPoint,
    integrity: options.integrity ?? true,
    cryptsetup: runner,
  });
}
