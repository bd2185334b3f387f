// cryptsetup exit codes and messages → our error codes, with a runner that answers like cryptsetup would.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError } from '../../../lib/errors.js';
import { Cryptsetup } from '../../../lib/disk/cryptsetup.js';
import { makeFilesystem, mountFilesystem } from '../../../lib/disk/filesystem.js';
import type { CommandResult, CryptsetupRunner } from '../../../lib/disk/index.js';

function answering(result: Partial<CommandResult>): CryptsetupRunner & { args: string[][] } {
  const args: string[][] = [];
  return {
    args,
    run(_program, argv) {
      args.push([...argv]);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', missing: false, ...result });
    },
  };
}

const key = Buffer.alloc(32, 7);

t.test('exit codes map to codes; messages quote the error line, skipping warnings', async (t) => {
  const cases: [Partial<CommandResult>, string, RegExp][] = [
    [
      { exitCode: 4, stderr: 'Device /x does not exist or access denied.' },
      'DISK_DEVICE_MISSING',
      /luksDump on \/x: expected exit code 0, found 4 \(Device \/x does not exist/,
    ],
    [{ exitCode: 5, stderr: 'Device state already exists.' }, 'DISK_BUSY', /found 5/],
    [
      { exitCode: 1, stderr: 'WARNING: keyslots area is very small\nCannot format device /x.' },
      'DISK_COMMAND_FAILED',
      /\(Cannot format device \/x\.\)/,
    ],
    [{ exitCode: undefined, missing: true }, 'CRYPTSETUP_MISSING', /apt-get install cryptsetup-bin/],
  ];
  for (const [result, code, message] of cases) {
    await t.rejects(new Cryptsetup(answering(result)).dumpMetadata('/x'), {
      constructor: ConstellationError,
      code,
      message,
    });
  }
  await t.rejects(new Cryptsetup(answering({ stdout: 'not json' })).dumpMetadata('/x'), {
    code: 'DISK_COMMAND_FAILED',
  });
});

t.test('open: device-mapper missing → DISK_OPEN_UNSUPPORTED; exit 2 → DISK_KEY_REJECTED', async (t) => {
  const noDm = answering({ exitCode: 1, stderr: 'Cannot initialize device-mapper. Is dm_mod kernel module loaded?' });
  await t.rejects(new Cryptsetup(noDm).open('/x', '/h', 'state', key), {
    code: 'DISK_OPEN_UNSUPPORTED',
    message: /device-mapper/,
  });
  await t.rejects(new Cryptsetup(answering({ exitCode: 2 })).open('/x', '/h', 'state', key), {
    code: 'DISK_KEY_REJECTED',
  });
  t.equal(await new Cryptsetup(answering({})).open('/x', '/h', 'state', key), '/dev/mapper/state');
});

t.test('testKey: 0 true, 2 false, anything else an error', async (t) => {
  t.equal(await new Cryptsetup(answering({ exitCode: 0 })).testKey('/x', key), true);
  t.equal(await new Cryptsetup(answering({ exitCode: 2 })).testKey('/x', key), false);
  await t.rejects(new Cryptsetup(answering({ exitCode: 1 })).testKey('/x', key), { code: 'DISK_COMMAND_FAILED' });
});

t.test('integrity format without device-mapper → DISK_INTEGRITY_UNSUPPORTED; format args carry no key', async (t) => {
  const noDm = answering({ exitCode: 1, stderr: 'Cannot initialize device-mapper.' });
  await t.rejects(new Cryptsetup(noDm).format('/x', key, { integrity: true, header: '/h' }), {
    code: 'DISK_INTEGRITY_UNSUPPORTED',
  });
  const fine = answering({});
  await new Cryptsetup(fine).format('/x', key, { integrity: false, header: '/h' });
  t.same(fine.args[0]?.slice(-3), ['--key-file', '-', '/x']);
  t.ok(fine.args[0]?.includes('aes-xts-plain64'));
  t.notOk(fine.args[0]?.includes('--integrity'));
  const detached = fine.args[0] ?? [];
  t.equal(detached[detached.indexOf('--header') + 1], '/h', 'the header goes to the private copy');
  t.equal(detached[detached.indexOf('--offset') + 1], '6144', 'data at 3 MiB, in 512-byte sectors');
});

t.test('filesystem tools: missing → DISK_TOOL_MISSING, failing → DISK_COMMAND_FAILED', async (t) => {
  const mountPoint = await mkdtemp(join(tmpdir(), 'disk-mount-'));
  t.teardown(() => rm(mountPoint, { recursive: true, force: true }));
  await t.rejects(makeFilesystem(answering({ exitCode: undefined, missing: true }), '/dev/mapper/state'), {
    code: 'DISK_TOOL_MISSING',
    message: /e2fsprogs/,
  });
  await t.rejects(
    mountFilesystem(answering({ exitCode: 32, stderr: 'mount: wrong fs type' }), '/dev/mapper/state', mountPoint),
    {
      code: 'DISK_COMMAND_FAILED',
      message: /mount .*found 32 \(mount: wrong fs type\)/,
    },
  );
});
