// A CryptsetupRunner for hosts without device-mapper: every cryptsetup command runs for real on the file-backed
// volume, except the steps that need the kernel's device-mapper, which are stood in for as narrowly as possible:
//   `cryptsetup open --header H … dev name` → `cryptsetup open --test-passphrase --key-file - H` (same key check,
//     same exit code 2 for a wrong key; no mapping is created);
//   `cryptsetup close`, `mkfs.ext4`, `mount`, `umount` → succeed without doing anything (the mount point is the
//     directory mountFilesystem created, so writes land in a plain directory).
// It records every argument vector and stdin so tests can prove keys never reach argv.
import { execaRunner, type CryptsetupRunner, type DiskProgram } from '../../../lib/disk/index.js';

export interface RecordedCall {
  readonly program: DiskProgram;
  readonly args: readonly string[];
  readonly stdin: Buffer | undefined;
}

export function simulatedDeviceMapper(): CryptsetupRunner & { readonly calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async run(program, args, input = {}) {
      calls.push({ program, args: [...args], stdin: input.stdin });
      if (program !== 'cryptsetup') return { exitCode: 0, stdout: '', stderr: '', missing: false };
      if (args[0] === 'close') return { exitCode: 0, stdout: '', stderr: '', missing: false };
      if (args[0] === 'open' && !args.includes('--test-passphrase')) {
        const header = args[args.indexOf('--header') + 1];
        if (header === undefined) throw new Error('simulated device-mapper: open without --header');
        return execaRunner.run('cryptsetup', ['open', '--test-passphrase', '--key-file', '-', header], input);
      }
      return execaRunner.run(program, args, input);
    },
  };
}
