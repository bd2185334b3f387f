// Reproducibility: two builds of the same inputs (the second with --no-cache, so every stage — mkosi, dracut,
// erofs + verity, UKI, disk — runs again) give the same root hash, UKI, disk and measurements. Builds into
// out/image-repro/ with the EK CA and release key of out/image (they are inputs: the CA is baked into the root).
// About 6 minutes, not part of `npm test`:  npx tap test/vm/image-reproducible.vm.ts
import t from 'tap';
import { execa } from 'execa';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const source = join(repo, 'out/image');
const out = join(repo, 'out/image-repro');

interface Build {
  readonly manifest: { rootHash: string; files: Record<string, { sha256: string; bytes: number }> };
  readonly measurements: { pcrs: Record<string, { expected: string }> };
  readonly packages: string;
  readonly seconds: number;
}

// Pinned for both builds: a commit landing between them would otherwise change the version and the timestamps.
const { stdout: epoch } = await execa('git', ['log', '-1', '--format=%ct'], { cwd: repo });
const pinned = { SOURCE_DATE_EPOCH: epoch.trim(), IMAGE_VERSION: `repro-${epoch.trim()}` };

async function build(noCache: boolean): Promise<Build> {
  const started = Date.now();
  await execa('node', ['--import', 'tsx', 'image/build/main.ts', '--out', out, ...(noCache ? ['--no-cache'] : [])], {
    cwd: repo,
    env: pinned,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return {
    manifest: JSON.parse(await readFile(join(out, 'image.json'), 'utf8')) as Build['manifest'],
    measurements: JSON.parse(await readFile(join(out, 'measurements.json'), 'utf8')) as Build['measurements'],
    packages: await readFile(join(out, 'packages.txt'), 'utf8'),
    seconds: (Date.now() - started) / 1000,
  };
}

await rm(out, { recursive: true, force: true });
t.teardown(() => rm(out, { recursive: true, force: true }));
await mkdir(out, { recursive: true });
for (const name of ['ek-ca', 'release-key.pem', 'release-key.pub.pem']) {
  await cp(join(source, name), join(out, name), { recursive: true }).catch(() => undefined);
}

const first = await build(false);
const second = await build(true);
t.comment(`first build ${first.seconds.toFixed(0)} s, second (--no-cache) ${second.seconds.toFixed(0)} s`);
t.comment(`root hash ${first.manifest.rootHash}`);

t.equal(second.packages, first.packages, 'the same package versions were installed (else the mirror moved)');
t.equal(second.manifest.rootHash, first.manifest.rootHash, 'root hash');
t.same(second.manifest.files['uki.efi'], first.manifest.files['uki.efi'], 'UKI sha256 and size');
t.same(second.manifest.files['disk.raw'], first.manifest.files['disk.raw'], 'disk sha256 and size');
t.same(second.measurements.pcrs, first.measurements.pcrs, 'measured PCRs');
