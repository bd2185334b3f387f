// TypeScript face of the systemd addon (native/src/sd-notify.cc): send and receive AF_UNIX datagrams, which Node's
// core cannot. Used by lib/systemd (sd_notify) and by tests that stand in for systemd. Paths starting with '@'
// are abstract socket names. Arguments are validated here; native failures become ConstellationError
// DATAGRAM_SOCKET_FAILED with the syscall and errno, keeping the caller's stack.
import { ConstellationError, invalidArgument } from '../lib/errors.js';
import { loadAddon } from './loader.js';

interface SystemdAddon {
  sendDatagram(path: string, data: Buffer): Promise<void>;
  bindDatagram(path: string): number;
  receiveDatagram(fd: number, maxBytes: number, timeoutMs: number): Promise<Buffer | null>;
  closeDatagram(fd: number): void;
}

const SYSTEMD_ADDON_FILE = 'systemd.node';
/** sun_path holds 108 bytes including the terminating NUL of a filesystem path. */
export const MAX_SOCKET_PATH_BYTES = 107;
export const MAX_DATAGRAM_BYTES = 8 * 1024 * 1024;

let addon: SystemdAddon | undefined;

function systemdAddon(): SystemdAddon {
  addon ??= loadAddon(SYSTEMD_ADDON_FILE) as SystemdAddon;
  return addon;
}

/** A failed socket call; `syscall` and `errno` say which and why. */
export class DatagramSocketError extends ConstellationError {
  readonly syscall: string;
  readonly errno: number;

  constructor(message: string, details: { syscall?: string; errno?: number }, options?: { cause?: unknown }) {
    super('DATAGRAM_SOCKET_FAILED', message, options);
    this.syscall = details.syscall ?? '';
    this.errno = details.errno ?? 0;
  }
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw invalidArgument('socket path', `a path or @abstract name of 1 to ${MAX_SOCKET_PATH_BYTES} bytes`, path);
  }
  if (!path.startsWith('/') && !path.startsWith('@')) {
    throw invalidArgument('socket path', "an absolute path or an abstract name starting with '@'", path);
  }
}

function rethrow(error: unknown, stack: Error, what: string): never {
  const details =
    typeof error === 'object' && error !== null
      ? (error as { syscall?: unknown; errno?: unknown; message?: unknown })
      : {};
  const failure = new DatagramSocketError(
    `Expected to ${what} but ${typeof details.message === 'string' ? details.message : String(error)}`,
    {
      ...(typeof details.syscall === 'string' ? { syscall: details.syscall } : {}),
      ...(typeof details.errno === 'number' ? { errno: details.errno } : {}),
    },
    { cause: error },
  );
  failure.stack = `${failure.name}: ${failure.message}\n${stack.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  throw failure;
}

/** Sends one datagram to the socket at `path`. */
export async function sendDatagram(path: string, data: Buffer): Promise<void> {
  checkPath(path);
  if (!Buffer.isBuffer(data) || data.length > MAX_DATAGRAM_BYTES) {
    throw invalidArgument('datagram', `a Buffer of at most ${MAX_DATAGRAM_BYTES} bytes`, data);
  }
  const stack = new Error();
  try {
    await systemdAddon().sendDatagram(path, data);
  } catch (error) {
    rethrow(error, stack, `send a datagram to ${path}`);
  }
}

/** A bound datagram socket that receives one message at a time (for tests and local receivers). */
export class DatagramReceiver {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  static bind(path: string): DatagramReceiver {
    checkPath(path);
    const stack = new Error();
    try {
      return new DatagramReceiver(path, systemdAddon().bindDatagram(path));
    } catch (error) {
      rethrow(error, stack, `bind a datagram socket at ${path}`);
    }
  }

  /** The next datagram, or null when none arrives within `timeoutMs` (a safety bound, not a timing check). */
  async receive(options: { maxBytes?: number; timeoutMs?: number } = {}): Promise<Buffer | null> {
    const maxBytes = options.maxBytes ?? 64 * 1024;
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_DATAGRAM_BYTES) {
      throw invalidArgument('maxBytes', `an integer from 1 to ${MAX_DATAGRAM_BYTES}`, maxBytes);
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw invalidArgument('timeoutMs', 'an integer ≥ 0', timeoutMs);
    if (this.fd === undefined) throw new ConstellationError('DATAGRAM_SOCKET_CLOSED', `Expected ${this.path} open`);
    const stack = new Error();
    try {
      return await systemdAddon().receiveDatagram(this.fd, maxBytes, timeoutMs);
    } catch (error) {
      rethrow(error, stack, `receive a datagram on ${this.path}`);
    }
  }

  /** Closes the socket; the caller removes a filesystem path. Safe to call twice. */
  close(): void {
    if (this.fd === undefined) return;
    systemdAddon().closeDatagram(this.fd);
    this.fd = undefined;
  }
}
