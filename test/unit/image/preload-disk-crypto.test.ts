// The image's preload-disk-crypto names the kernel AEAD dm-crypt allocates for LUKS_FORMAT and the programs lib/disk
// runs on a first boot: if either changes and the script does not, first boots silently lose what the preload saves
// (1.1 s for the AEAD, about 1 s of cold code pages, one vCPU under TCG). The script itself runs in the
// image-boot VM test (test/vm/image-boot.vm.ts), which checks its "ready" line.
import t from 'tap';
import { execa } from 'execa';
import { LUKS_FORMAT } from '../../../lib/disk/index.js';
import { readImageFile } from '../../helpers/image-tree.js';

const script = await readImageFile('usr/lib/constellation/preload-disk-crypto');

/** dm-crypt's kernel name for a LUKS2 cipher with integrity: "aes-xts-plain64" + "hmac-sha256" → authenc(...). */
function kernelAead(cipher: string, integrity: string): string {
  const [block, mode] = cipher.split('-');
  const [mac, hash] = integrity.split('-');
  return `authenc(${mac}(${hash}),${mode}(${block}))`;
}

t.test('the preloaded AEAD is the one our LUKS2 format maps to', (t) => {
  const expected = kernelAead(LUKS_FORMAT.cipher, LUKS_FORMAT.integrity);
  t.equal(expected, 'authenc(hmac(sha256),xts(aes))');
  t.match(script, `aead='${expected}'`);
  t.end();
});

t.test('it loads the modules the state disk needs, algif_aead for the AF_ALG bind included', (t) => {
  const line = script.split('\n').find((candidate) => candidate.startsWith('modprobe '));
  for (const module of ['dm_integrity', 'dm_crypt', 'authenc', 'xts', 'ext4', 'algif_aead']) {
    t.match(line, new RegExp(`\\b${module}\\b`), module);
  }
  t.end();
});

t.test('its perl program compiles under strict and reports either way, never dies', async (t) => {
  const program = /exec perl -e '([^']*)' "\$aead"/.exec(script)?.[1];
  t.ok(program?.includes('use strict;'), 'the program uses strict');

  const result = await execa('perl', ['-e', program ?? '', 'authenc(hmac(sha256),xts(aes))'], { reject: false });
  t.equal(result.exitCode, 0, result.stderr);
  // This host may or may not have AF_ALG (these CI machines do not): both outcomes are a line, not a perl error.
  t.match(
    result.stderr,
    /^preload-disk-crypto: (kernel AEAD authenc\(hmac\(sha256\),xts\(aes\)\) ready|expected the kernel AEAD authenc\(hmac\(sha256\),xts\(aes\)\), found none \(.+\); the state disk builds it itself)$/,
  );
});

t.test('it reads the programs of a first boot and their libraries into the page cache', async (t) => {
  // lib/disk runs these on a first boot: luksFormat and open, mkfs.ext4, mount (umount only on a later stop).
  const line = script.split('\n').find((candidate) => candidate.startsWith('programs='));
  t.equal(line, "programs='cryptsetup mkfs.ext4 mount'");
  // The lines from `programs=` to the read, run on this host (which has the same Debian packages), print the files.
  const lines = script.split('\n');
  const fragment = lines.slice(
    lines.findIndex((candidate) => candidate.startsWith('programs=')),
    lines.findIndex((candidate) => candidate.startsWith('cat $files')) + 1,
  );
  t.ok(fragment.length >= 4, 'the fragment from programs= to the read');
  const result = await execa('sh', ['-euc', `${fragment.join('\n')}\nprintf '%s\\n' $files`]);
  const files = result.stdout.split('\n').filter((path) => path !== '');
  for (const program of ['cryptsetup', 'mkfs.ext4', 'mount']) {
    t.ok(
      files.some((path) => path.endsWith(`/${program}`)),
      `${program} itself`,
    );
  }
  for (const library of ['libcryptsetup.so', 'libdevmapper.so', 'libext2fs.so', 'libmount.so']) {
    t.ok(
      files.some((path) => path.includes(`/${library}`)),
      library,
    );
  }
  t.ok(
    files.every((path) => path.startsWith('/')),
    'absolute paths only',
  );
});
