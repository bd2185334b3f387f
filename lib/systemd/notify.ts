// sd_notify(3) without libsystemd: a "KEY=value\n…" datagram to $NOTIFY_SOCKET. A no-op when the process is not
// a systemd service with Type=notify (NOTIFY_SOCKET unset), so agents call it unconditionally.
import { invalidArgument } from '../errors.js';
import { sendDatagram } from '../../native/sd-notify.js';

export interface NotifyOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Sends `state` (e.g. { READY: '1', STATUS: 'serving' }) to systemd; resolves false when not under systemd. */
export async function notify(state: Readonly<Record<string, string>>, options: NotifyOptions = {}): Promise<boolean> {
  const socket = (options.env ?? process.env).NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return false;
  const lines: string[] = [];
  for (const [key, value] of Object.entries(state)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw invalidArgument('sd_notify key', 'an upper-case name like READY', key);
    if (value.includes('\n')) throw invalidArgument(`sd_notify ${key}`, 'a value without newlines', value);
    lines.push(`${key}=${value}`);
  }
  await sendDatagram(socket, Buffer.from(`${lines.join('\n')}\n`));
  return true;
}

/** READY=1: the service is up (systemd starts dependents, `systemctl start` returns). */
export function notifyReady(status?: string, options: NotifyOptions = {}): Promise<boolean> {
  return notify(status === undefined ? { READY: '1' } : { READY: '1', STATUS: status }, options);
}

/** STOPPING=1: the service is shutting down on purpose. */
export function notifyStopping(options: NotifyOptions = {}): Promise<boolean> {
  return notify({ STOPPING: '1' }, options);
}
