// lib/image against the real tools, on a UKI assembled here as the image build does (objcopy onto the host's
// systemd-stub 252 with fresh stand-in parts): Authenticode against an independent Python implementation
// (python3-pefile), PCR 11 against `systemd-measure calculate`, PCR 4 against the Python replay, the sections
// against the parts. Needs: binutils, systemd-boot-efi, systemd (systemd-measure), python3-pefile.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { authenticodeSha256, predictUkiPcrs, setPeTimestamp, ukiSections } from '../../../lib/image/index.js';

const STUB = '/usr/lib/systemd/boot/efi/linuxx64.efi.stub';
const MEASURE = '/usr/lib/systemd/systemd-measure';
const PYTHON = '/usr/bin/python3';
const PEFILE_SCRIPT = fileURLToPath(new URL('authenticode-pefile.py', import.meta.url));
const SIGNED_VECTOR = fileURLToPath(new URL('../../vectors/image/linuxx64-signed.efi', import.meta.url));

t.before(async () => {
  const missing = [
    [STUB, 'systemd-boot-efi'],
    [MEASURE, 'systemd'],
    ['/usr/bin/objcopy', 'binutils'],
    [PYTHON, 'python3'],
  ].filter(([path]) => !existsSync(path ?? ''));
  const pefile = await execa(PYTHON, ['-c', 'import pefile'], { reject: false });
  if (pefile.exitCode !== 0) missing.push(['pefile', 'python3-pefile']);
  if (missing.length > 0) {
    throw new Error(
      `Expected the host tools, found ${missing.map(([path]) => path).join(', ')} missing; install with: apt-get install -y --no-install-recommends ${missing.map(([, pkg]) => pkg).join(' ')}`,
    );
  }
});

async function pythonAuthenticode(...paths: string[]): Promise<string[]> {
  const { stdout } = await execa(PYTHON, [PEFILE_SCRIPT, ...paths]);
  return stdout.trim().split('\n');
}

t.test('a UKI built with objcopy: sections, Authenticode, PCR 4 and PCR 11 match the host tools', async (t) => {
  const dir = t.testdir({});
  const parts = {
    osrel: `${dir}/os-release`,
    cmdline: `${dir}/cmdline.txt`,
    linux: SIGNED_VECTOR,
    initrd: `${dir}/initrd.img`,
  };
  writeFileSync(parts.osrel, 'ID=constellation\nVERSION_ID=integration\n');
  writeFileSync(parts.cmdline, `console=ttyS0 roothash=${randomBytes(32).toString('hex')} root=/dev/mapper/root ro`);
  writeFileSync(parts.initrd, randomBytes(5000 + randomBytes(1).readUInt8()));
  const uki = `${dir}/uki.efi`;
  await execa('objcopy', [
    ...['--add-section', `.osrel=${parts.osrel}`, '--change-section-vma', '.osrel=0x20000'],
    ...['--add-section', `.cmdline=${parts.cmdline}`, '--change-section-vma', '.cmdline=0x30000'],
    ...['--add-section', `.linux=${parts.linux}`, '--change-section-vma', '.linux=0x2000000'],
    ...['--add-section', `.initrd=${parts.initrd}`, '--change-section-vma', '.initrd=0x3000000'],
    STUB,
    uki,
  ]);
  const ukiBytes = readFileSync(uki);

  const sections = ukiSections(ukiBytes);
  for (const [name, path] of Object.entries(parts)) {
    t.same(sections.get(`.${name}`), readFileSync(path), `.${name} is the part objcopy added`);
  }

  const [stubDigest, signedDigest, ukiDigest] = await pythonAuthenticode(STUB, SIGNED_VECTOR, uki);
  t.equal(authenticodeSha256(readFileSync(STUB)).toString('hex'), stubDigest, 'host stub');
  t.equal(authenticodeSha256(readFileSync(SIGNED_VECTOR)).toString('hex'), signedDigest, 'signed PE');
  t.equal(authenticodeSha256(ukiBytes).toString('hex'), ukiDigest, 'UKI');

  for (const failed of [0, 2]) {
    const { stdout } = await execa(PYTHON, [PEFILE_SCRIPT, '--pcr4', uki, parts.linux, String(failed)]);
    t.equal(
      predictUkiPcrs({ uki: ukiBytes, failedBootOptions: failed }).pcr4.toString('hex'),
      stdout.trim(),
      `PCR 4 after ${failed} failed boot options`,
    );
  }

  for (const phases of ['sysinit:ready', 'enter-initrd:leave-initrd:sysinit:ready', 'ready']) {
    const { stdout } = await execa(MEASURE, [
      'calculate',
      `--linux=${parts.linux}`,
      `--osrel=${parts.osrel}`,
      `--cmdline=${parts.cmdline}`,
      `--initrd=${parts.initrd}`,
      '--bank=sha256',
      `--phase=${phases}`,
    ]);
    const measured = /^11:sha256=([0-9a-f]{64})$/m.exec(stdout)?.[1];
    t.equal(
      predictUkiPcrs({ uki: ukiBytes, phases: phases.split(':') }).pcr11.toString('hex'),
      measured,
      `PCR 11 with phases ${phases}`,
    );
  }
});

t.test('objcopy output made reproducible by setPeTimestamp', async (t) => {
  const dir = t.testdir({ 'cmdline.txt': 'console=ttyS0 ro' });
  const build = async (name: string): Promise<Buffer> => {
    const args = ['--add-section', `.cmdline=${dir}/cmdline.txt`, '--change-section-vma', '.cmdline=0x30000'];
    await execa('objcopy', [...args, '--add-section', `.linux=${SIGNED_VECTOR}`, STUB, `${dir}/${name}`]);
    return readFileSync(`${dir}/${name}`);
  };
  const first = setPeTimestamp(await build('a.efi'), 1_700_000_000);
  const second = setPeTimestamp(await build('b.efi'), 1_700_000_000);
  t.same(first, second, 'same bytes whatever time objcopy ran at');
  t.equal((await pythonAuthenticode(`${dir}/a.efi`)).length, 1);
});

t.test('the recorded vectors are what the host tools give today', async (t) => {
  const vectors = fileURLToPath(new URL('../../vectors/image/', import.meta.url));
  const names = ['linuxx64.efi.stub', 'linuxx64-signed.efi', 'kernel.efi', 'uki.efi'];
  const digests = await pythonAuthenticode(...names.map((name) => `${vectors}${name}`));
  names.forEach((name, i) => {
    t.equal(authenticodeSha256(readFileSync(`${vectors}${name}`)).toString('hex'), digests[i], name);
  });
});
