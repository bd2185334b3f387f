// The kernel command line baked into the UKI (so measured by PCR 4 and 11): the dm-verity root hash pins the whole
// root filesystem; systemd.volatile=state puts a tmpfs on /var (the root is read-only and logind/networkd need a
// writable /var); console on ttyS0 (the host's first serial log).
import { invalidArgument } from '../../lib/errors.js';

const ROOT_HASH = /^[0-9a-f]{64}$/;

export function kernelCommandLine(rootHash: string): string {
  if (!ROOT_HASH.test(rootHash)) throw invalidArgument('root hash', '64 lower-case hex digits (sha256)', rootHash);
  return [
    'console=ttyS0',
    'loglevel=4',
    `roothash=${rootHash}`,
    'root=/dev/mapper/root',
    'ro',
    'systemd.volatile=state',
    // Unit status lines only for failures: the journal already reaches ttyS0, and every console write costs a
    // TCG guest time.
    'systemd.show_status=error',
    // A failing initrd must not wait for a console login nobody can give.
    'rd.emergency=reboot',
    'rd.shell=0',
  ].join(' ');
}

/** The GPT partition UUIDs systemd-veritysetup-generator looks for: the first and last 128 bits of the root hash. */
export function verityPartitionUuids(rootHash: string): { root: string; verity: string } {
  if (!ROOT_HASH.test(rootHash)) throw invalidArgument('root hash', '64 lower-case hex digits (sha256)', rootHash);
  return { root: asUuid(rootHash.slice(0, 32)), verity: asUuid(rootHash.slice(32)) };
}

function asUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
