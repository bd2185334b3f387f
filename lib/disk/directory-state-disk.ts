// Development state disk for hosts without device-mapper ("stateDisk: none"): node state in a plain directory,
// NOT ENCRYPTED. It keeps the LUKS semantics the Bootstrapper relies on, so recover and rejoin are real: a
// header file holds the UUID, the status and a key check (HMAC of a fixed label under the key, never the key),
// open() with a wrong key is DISK_KEY_REJECTED and changes nothing, and an initialized disk is never reformatted.
//
//   <dir>/disk-header.json  {"version":1,"uuid":…,"status":"pending"|"initialized","keyCheck":hex,
//                            "clusterHint"?:{"measurementSalt":hex,"clusterId":hex}}
//   <dir>/volume/           the "mounted filesystem" (mountPoint)
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConstellationError, invalidArgument, VerificationError } from '../errors.js';
import {
  assertDiskKey,
  preparedInThisProcess,
  isDiskUuid,
  STATE_DISK_ERROR_CODES as CODES,
  type StateDisk,
  type StateDiskDescription,
  type StateDiskProbe,
} from './state-disk.js';
import { parseClusterHintFields, sameClusterHint, type ClusterHint } from './disk-token.js';

export const DIRECTORY_HEADER_FILE = 'disk-header.json';
export const DIRECTORY_VOLUME = 'volume';
const KEY_CHECK_LABEL = 'constellation-directory-state-disk-key-check-v1';
const INITIAL_KEY_BYTES = 32;
const HEX_32 = /^[0-9a-f]{64}$/;

/** The text the Bootstrapper logs loudly (and L prints) whenever this backend is in use. */
export function directoryStateDiskWarning(dir: string): string {
  return `STATE DISK NOT ENCRYPTED: "stateDisk: none" keeps this node's state (node state, and on control-plane nodes the cluster's master secret) in plain files under ${dir}. Use it only for development on hosts without device-mapper; production nodes use a LUKS2 state disk.`;
}

export interface DirectoryStateDisk extends StateDisk {
  /** directoryStateDiskWarning(dir): log it at warn level on every start. */
  readonly warning: string;
}

interface DirectoryHeader {
  readonly uuid: string;
  readonly status: 'pending' | 'initialized';
  readonly keyCheck: string;
  readonly clusterHint?: ClusterHint;
}

function invalidHeader(path: string, field: string, expected: string, found: unknown): VerificationError {
  const shown = found === undefined ? 'nothing' : JSON.stringify(found);
  return new VerificationError(
    CODES.DISK_HEADER_INVALID,
    `Directory state disk header ${path} field ${field}: expected ${expected}, found ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}`,
  );
}

function parseHeader(text: string, path: string): DirectoryHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidHeader(path, '(document)', 'JSON', 'text that does not parse');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidHeader(path, '(document)', 'an object', typeof value);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['version', 'uuid', 'status', 'keyCheck', 'clusterHint'].includes(key))
      throw invalidHeader(path, key, 'no such field', record[key]);
  }
  if (record.version !== 1) throw invalidHeader(path, 'version', '1', record.version);
  if (typeof record.uuid !== 'string' || !isDiskUuid(record.uuid)) {
    throw invalidHeader(path, 'uuid', 'a lower-case UUID', record.uuid);
  }
  if (record.status !== 'pending' && record.status !== 'initialized') {
    throw invalidHeader(path, 'status', '"pending" or "initialized"', record.status);
  }
  if (typeof record.keyCheck !== 'string' || !HEX_32.test(record.keyCheck)) {
    throw invalidHeader(path, 'keyCheck', '64 hex digits', '(not shown)');
  }
  const header: DirectoryHeader = { uuid: record.uuid, status: record.status, keyCheck: record.keyCheck };
  if (record.clusterHint === undefined) return header;
  const hint = record.clusterHint;
  if (typeof hint !== 'object' || hint === null || Array.isArray(hint)) {
    throw invalidHeader(path, 'clusterHint', 'an object', hint);
  }
  for (const key of Object.keys(hint)) {
    if (!['measurementSalt', 'clusterId'].includes(key)) {
      throw invalidHeader(path, `clusterHint.${key}`, 'no such field', (hint as Record<string, unknown>)[key]);
    }
  }
  const fields = parseClusterHintFields(hint as Record<string, unknown>, (key, expected, found) =>
    invalidHeader(path, `clusterHint.${key}`, expected, found),
  );
  return { ...header, clusterHint: fields };
}

function keyCheck(key: Buffer, uuid: string): Buffer {
  return createHmac('sha256', key).update(`${KEY_CHECK_LABEL}\0${uuid}`).digest();
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function ioFailure(action: string, path: string, error: unknown): ConstellationError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
  return new ConstellationError(CODES.DISK_IO_FAILED, `Expected to ${action} ${path} but could not (${code})`, {
    cause: error,
  });
}

class DirectoryDisk implements DirectoryStateDisk {
  readonly description: StateDiskDescription;
  readonly mountPoint: string;
  readonly warning: string;
  readonly #dir: string;
  readonly #headerPath: string;
  #initial: { key: Buffer; uuid: string } | undefined;

  constructor(dir: string) {
    this.#dir = dir;
    this.#headerPath = join(dir, DIRECTORY_HEADER_FILE);
    this.mountPoint = join(dir, DIRECTORY_VOLUME);
    this.warning = directoryStateDiskWarning(dir);
    this.description = { kind: 'directory', encrypted: false, location: dir };
  }

  async #readHeader(): Promise<DirectoryHeader | undefined> {
    let text: string;
    try {
      text = await readFile(this.#headerPath, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw ioFailure('read', this.#headerPath, error);
    }
    return parseHeader(text, this.#headerPath);
  }

  /** Temporary file + fsync + rename: a reader (or the next boot) sees the old header or the new one. */
  async #writeHeader(header: DirectoryHeader): Promise<void> {
    const temporary = join(this.#dir, `.${DIRECTORY_HEADER_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        const { clusterHint, ...fields } = header;
        const hint =
          clusterHint === undefined
            ? {}
            : {
                clusterHint: {
                  measurementSalt: clusterHint.measurementSalt.toString('hex'),
                  clusterId: clusterHint.clusterId.toString('hex'),
                },
              };
        await handle.writeFile(`${JSON.stringify({ version: 1, ...fields, ...hint })}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.#headerPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw ioFailure('write', this.#headerPath, error);
    }
  }

  async #requireInitialized(): Promise<DirectoryHeader> {
    const header = await this.#readHeader();
    if (header?.status !== 'initialized') {
      throw new ConstellationError(
        CODES.DISK_NOT_INITIALIZED,
        `Expected a state disk initialized for a cluster at ${this.#dir}, found ${header === undefined ? 'a blank one' : `a pending one (disk ${header.uuid})`}`,
      );
    }
    return header;
  }

  #assertKey(header: DirectoryHeader, key: Buffer): void {
    if (!timingSafeEqual(keyCheck(key, header.uuid), Buffer.from(header.keyCheck, 'hex'))) {
      throw new ConstellationError(
        CODES.DISK_KEY_REJECTED,
        `Expected a key that opens disk ${header.uuid}; the key given does not`,
      );
    }
  }

  async probe(): Promise<StateDiskProbe> {
    const header = await this.#readHeader();
    if (header === undefined) return { status: 'blank' };
    const { status, uuid, clusterHint } = header;
    return { status, uuid, ...(clusterHint === undefined ? {} : { clusterHint }) };
  }

  async prepareNew(): Promise<{ uuid: string }> {
    const before = await this.#readHeader();
    if (before?.status === 'initialized') {
      throw new ConstellationError(
        CODES.DISK_ALREADY_INITIALIZED,
        `Expected a blank or pending state disk at ${this.#dir}, found one initialized for a cluster (disk ${before.uuid}); it is never reformatted`,
      );
    }
    this.#initial = undefined;
    const uuid = randomUUID();
    const key = randomBytes(INITIAL_KEY_BYTES);
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      // "Reformatting": the old volume's contents go, like a fresh LUKS format makes them unreadable.
      await rm(this.mountPoint, { recursive: true, force: true });
      await mkdir(this.mountPoint, { mode: 0o700 });
    } catch (error) {
      throw ioFailure('create', this.mountPoint, error);
    }
    await this.#writeHeader({ uuid, status: 'pending', keyCheck: keyCheck(key, uuid).toString('hex') });
    this.#initial = { key, uuid };
    return { uuid };
  }

  async bindClusterKey(diskKey: Buffer, hint: ClusterHint): Promise<void> {
    assertDiskKey('diskKey', diskKey);
    const initial = preparedInThisProcess(this.#initial);
    const header = await this.#readHeader();
    if (header?.status !== 'pending' || header.uuid !== initial.uuid) {
      throw new ConstellationError(
        CODES.DISK_NOT_PREPARED,
        `Expected the pending disk ${initial.uuid} formatted by this process, found ${header === undefined ? 'a blank disk' : `${header.status} disk ${header.uuid}`}`,
      );
    }
    this.#assertKey(header, initial.key);
    await this.#writeHeader({
      uuid: header.uuid,
      status: 'initialized',
      keyCheck: keyCheck(diskKey, header.uuid).toString('hex'),
      clusterHint: hint,
    });
    initial.key.fill(0);
    this.#initial = undefined;
  }

  async open(diskKey: Buffer): Promise<{ mountPoint: string }> {
    assertDiskKey('diskKey', diskKey);
    const header = await this.#requireInitialized();
    this.#assertKey(header, diskKey);
    try {
      await mkdir(this.mountPoint, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw ioFailure('create', this.mountPoint, error);
    }
    return { mountPoint: this.mountPoint };
  }

  async rekey(oldKey: Buffer, newKey: Buffer): Promise<void> {
    assertDiskKey('oldKey', oldKey);
    assertDiskKey('newKey', newKey);
    const header = await this.#requireInitialized();
    this.#assertKey(header, oldKey);
    await this.#writeHeader({ ...header, keyCheck: keyCheck(newKey, header.uuid).toString('hex') });
  }

  async writeClusterHint(hint: ClusterHint): Promise<void> {
    const header = await this.#requireInitialized();
    if (sameClusterHint(header.clusterHint, hint)) return;
    await this.#writeHeader({ ...header, clusterHint: hint });
  }

  async markForReset(): Promise<void> {
    const header = await this.#readHeader();
    if (header === undefined || header.status === 'pending') return;
    await this.#writeHeader({ ...header, status: 'pending' });
  }

  close(): Promise<void> {
    // Nothing is mapped or mounted; the volume directory simply stays where it is.
    return Promise.resolve();
  }
}

/** A directory state disk at `dir` (created on prepareNew). Not encrypted: see `.warning`. */
export function directoryStateDisk(options: { readonly dir: string }): DirectoryStateDisk {
  if (typeof options.dir !== 'string' || options.dir === '')
    throw invalidArgument('dir', 'a directory path', options.dir);
  return new DirectoryDisk(resolve(options.dir));
}
