// The node's state disk: where node state, the control plane's master secret and Kubernetes state live.
// Two backends implement this one contract: LUKS2 through cryptsetup (luks-state-disk.ts) and, for hosts
// without device-mapper, an UNENCRYPTED directory that keeps the same key semantics (directory-state-disk.ts).
import { ConstellationError, invalidArgument } from '../errors.js';
import type { ClusterHint } from './disk-token.js';

export type StateDiskProbe =
  { status: 'blank' } | { status: 'pending' | 'initialized'; uuid: string; clusterHint?: ClusterHint };

export interface StateDiskDescription {
  readonly kind: 'luks' | 'directory';
  readonly encrypted: boolean;
  /** The device or directory, for logs. */
  readonly location: string;
}

export interface StateDisk {
  readonly description: StateDiskDescription;
  /**
   * blank: no header; pending: formatted at first boot, not yet bound to a cluster (or marked for reset);
   * initialized: bound to a cluster key (never reformatted). `clusterHint`: the public membership hint kept in
   * the header (LUKS2 token 1), when one was written.
   */
  probe(): Promise<StateDiskProbe>;
  /** initialized only: stores the public cluster hint in the header (one header write; a no-op when equal). */
  writeClusterHint(hint: ClusterHint): Promise<void>;
  /**
   * blank|pending only (else DISK_ALREADY_INITIALIZED): formats with a random initial key kept in memory and
   * leaves the disk open at mountPoint. A pending disk's old contents are discarded.
   */
  prepareNew(): Promise<{ uuid: string }>;
  /**
   * pending → initialized, after prepareNew in this process: replaces the initial key with `diskKey` and stores the
   * cluster hint, in one header write.
   */
  bindClusterKey(diskKey: Buffer, hint: ClusterHint): Promise<void>;
  /** initialized only; a wrong key is DISK_KEY_REJECTED and changes nothing. */
  open(diskKey: Buffer): Promise<{ mountPoint: string }>;
  /** initialized: replaces `oldKey` by `newKey` (wrong old key → DISK_KEY_REJECTED, nothing changes). */
  rekey(oldKey: Buffer, newKey: Buffer): Promise<void>;
  /** initialized|pending → pending: the next boot reformats (a failed Init leaves a node that can start over). */
  markForReset(): Promise<void>;
  /** Where node state lives while the disk is open. */
  readonly mountPoint: string;
  /** Unmounts and closes; a no-op when not open. */
  close(): Promise<void>;
}

export const STATE_DISK_ERROR_CODES = {
  /** prepareNew on a disk bound to a cluster: it is never reformatted. */
  DISK_ALREADY_INITIALIZED: 'DISK_ALREADY_INITIALIZED',
  /** open/rekey on a disk that is blank or pending. */
  DISK_NOT_INITIALIZED: 'DISK_NOT_INITIALIZED',
  /** bindClusterKey without prepareNew in this process (the initial key is gone), or on a non-pending disk. */
  DISK_NOT_PREPARED: 'DISK_NOT_PREPARED',
  /** The key does not open the disk; nothing changed. */
  DISK_KEY_REJECTED: 'DISK_KEY_REJECTED',
  /** The header (LUKS2 JSON metadata or the directory header) is not what we write: not trusted. */
  DISK_HEADER_INVALID: 'DISK_HEADER_INVALID',
  /** The device or directory does not exist. */
  DISK_DEVICE_MISSING: 'DISK_DEVICE_MISSING',
  /** Opening (device-mapper) is not possible on this host. */
  DISK_OPEN_UNSUPPORTED: 'DISK_OPEN_UNSUPPORTED',
  /** dm-integrity formatting needs device-mapper, which this host lacks. */
  DISK_INTEGRITY_UNSUPPORTED: 'DISK_INTEGRITY_UNSUPPORTED',
  /** The mapping name is in use. */
  DISK_BUSY: 'DISK_BUSY',
  /** cryptsetup is not installed. */
  CRYPTSETUP_MISSING: 'CRYPTSETUP_MISSING',
  /** cryptsetup is older than 2.4 (no `token import --token-replace`). */
  CRYPTSETUP_UNSUPPORTED: 'CRYPTSETUP_UNSUPPORTED',
  /** mkfs.ext4, mount, umount or mkfifo is not installed. */
  DISK_TOOL_MISSING: 'DISK_TOOL_MISSING',
  /** A disk command failed for another reason (message names the command and its exit code). */
  DISK_COMMAND_FAILED: 'DISK_COMMAND_FAILED',
  /** The directory backend could not read or write its files. */
  DISK_IO_FAILED: 'DISK_IO_FAILED',
} as const;

/** Keys are raw bytes: derived disk keys are 32 bytes; anything from 16 to 512 bytes is accepted. */
export function assertDiskKey(name: string, key: unknown): asserts key is Buffer {
  if (!Buffer.isBuffer(key) || key.length < 16 || key.length > 512) {
    throw invalidArgument(name, 'a Buffer of 16 to 512 key bytes', key);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Disk UUIDs are lower-case RFC 4122 text (the JoinService derives disk keys from them). */
export function isDiskUuid(value: string): boolean {
  return UUID.test(value);
}

/** The initial key of a disk prepareNew formatted in this process; DISK_NOT_PREPARED when there is none. */
export function preparedInThisProcess<T extends { readonly uuid: string; readonly key: Buffer }>(
  initial: T | undefined,
): T {
  if (initial === undefined) {
    throw new ConstellationError(
      STATE_DISK_ERROR_CODES.DISK_NOT_PREPARED,
      'Expected a state disk formatted by prepareNew in this process, found none (the initial key is only kept in memory)',
    );
  }
  return initial;
}
