// The small pure pieces of the build: root hash parsing, package list, production packages, shadow dates,
// SOURCE_DATE_EPOCH, os-release, the UKI's objcopy arguments, image.json.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import { imageManifestJson } from '../../../image/build/image-manifest.js';
import { osRelease } from '../../../image/build/os-release.js';
import { withPasswordChangeDay } from '../../../image/build/root-tree.js';
import { packagesList } from '../../../image/build/rootfs-stage.js';
import { parseEpoch, sourceIdentity } from '../../../image/build/source-date.js';
import { ukiObjcopyArguments } from '../../../lib/image/index.js';
import { parseRootHash, veritySalt } from '../../../image/build/verity-root.js';

const HASH = 'ab'.repeat(32);

t.test('the root hash comes from the "Root hash:" line, anything else is refused', (t) => {
  t.equal(parseRootHash(`VERITY header information for x\nSalt: 00\nRoot hash:      \t${HASH}\n`), HASH);
  for (const output of ['', 'Root hash: abc\n', `Root hash: ${HASH.toUpperCase()}\n`, `Salt: ${HASH}\n`]) {
    t.throws(() => parseRootHash(output), ConstellationError);
    t.throws(() => parseRootHash(output), { code: 'IMAGE_BUILD_OUTPUT_INVALID' });
  }
  t.end();
});

t.test('the verity salt is fixed per version and differs between versions', (t) => {
  t.equal(veritySalt('n', '1'), veritySalt('n', '1'));
  t.not(veritySalt('n', '1'), veritySalt('n', '2'));
  t.match(veritySalt('n', '1'), /^[0-9a-f]{64}$/);
  t.end();
});

t.test('packages.txt is sorted, one package per line', (t) => {
  t.equal(packagesList('zlib1g 1:1.2 amd64\n  bash 5.2 amd64\n\n'), 'bash 5.2 amd64\nzlib1g 1:1.2 amd64\n');
  t.end();
});

t.test('every account gets the password-change day of SOURCE_DATE_EPOCH; empty fields stay empty', (t) => {
  const shadow = 'root:*:19000:0:99999:7:::\nnobody:*::0:99999:7:::\n';
  t.equal(withPasswordChangeDay(shadow, 86_400 * 20_000 + 5), 'root:*:20000:0:99999:7:::\nnobody:*::0:99999:7:::\n');
  t.end();
});

t.test('SOURCE_DATE_EPOCH must be plain seconds', (t) => {
  t.equal(parseEpoch('1795446372'), 1795446372);
  for (const bad of ['', '-1', '1e9', '17954.5', ' 1']) {
    t.throws(() => parseEpoch(bad), InputError);
    t.throws(() => parseEpoch(bad), { code: 'INVALID_ARGUMENT' });
  }
  t.end();
});

t.test('os-release names the image and quotes its values', (t) => {
  const text = osRelease({ name: 'constellation-node', version: '0.1.0+abc"x' });
  t.match(text, /^IMAGE_ID="constellation-node"$/m);
  t.match(text, /^IMAGE_VERSION="0\.1\.0\+abc\\"x"$/m);
  t.match(text, /^ID=constellation$/m);
  t.end();
});

t.test('the UKI sections are added in systemd-stub order at mkosi 14 addresses', (t) => {
  const args = ukiObjcopyArguments({ osrel: 'o', cmdline: 'c', linux: 'l', initrd: 'i' }, 'stub', 'out');
  t.same(
    args.filter((_a, i) => args[i - 1] === '--add-section'),
    ['.osrel=o', '.cmdline=c', '.linux=l', '.initrd=i'],
  );
  t.same(args.slice(-2), ['stub', 'out']);
  t.ok(args.includes('.linux=0x2000000'));
  t.end();
});

t.test('image.json lists files in name order', (t) => {
  const json = imageManifestJson({
    name: 'constellation-node',
    version: '1',
    rootHash: HASH,
    kernelCommandLine: 'ro',
    sourceDateEpoch: 1,
    files: { 'uki.efi': { sha256: 'b', bytes: 2 }, 'disk.raw': { sha256: 'a', bytes: 1 } },
  });
  const parsed = JSON.parse(json) as { files: Record<string, unknown> };
  t.same(Object.keys(parsed.files), ['disk.raw', 'uki.efi']);
  t.match(json, /\n$/);
  t.end();
});

t.test('SOURCE_DATE_EPOCH and IMAGE_VERSION override git; a bad version is refused', async (t) => {
  const run = (_program: string, args: readonly string[]) =>
    Promise.resolve({ stdout: args.includes('--format=%ct') ? '1700000000\n' : 'abcdef123456\n', stderr: '' });
  const repo = join(import.meta.dirname, '../../..');
  const { version } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string };
  t.same(await sourceIdentity(repo, {}, run), { sourceDateEpoch: 1700000000, version: `${version}+abcdef123456` });
  t.same(await sourceIdentity(repo, { SOURCE_DATE_EPOCH: '5', IMAGE_VERSION: 'repro-5' }, run), {
    sourceDateEpoch: 5,
    version: 'repro-5',
  });
  await t.rejects(sourceIdentity(repo, { IMAGE_VERSION: 'a b' }, run), { code: 'INVALID_ARGUMENT' });
  await t.rejects(sourceIdentity(repo, { IMAGE_VERSION: 'a"b' }, run), InputError);
});
