// tpm2-tools as an independent second implementation for the native tests (no TPM needed for makecredential).
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KeyHandle } from '../../../native/tpm.js';
import { makeCredentialFileParts, publicKeyOf } from './tpm-wire-format.js';

const run = promisify(execFile);

/** tpm2_makecredential (no TPM needed) for `ek` and an AK name; returns the two TPM2B contents. */
export async function makeCredential(t: Test, ek: KeyHandle, akName: Buffer, secret: Buffer) {
  const dir = await mkdtemp(join(tmpdir(), 'makecredential-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ek.pem'), publicKeyOf(ek.public).key.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'secret'), secret);
  const args = [
    '--tcti',
    'none',
    '-u',
    'ek.pem',
    '-G',
    'rsa',
    '-s',
    'secret',
    '-n',
    akName.toString('hex'),
    '-o',
    'out',
  ];
  await run('tpm2_makecredential', args, { cwd: dir, env: { ...process.env, TSS2_LOG: 'all+NONE' } });
  return makeCredentialFileParts(await readFile(join(dir, 'out')));
}
