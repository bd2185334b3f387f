// The image build pipeline: rootfs (mkosi) → initrd (dracut) → verity root (erofs + veritysetup) → UKI → ESP + GPT
// disk → out/image. Every stage is cached by a digest of its inputs (stage-cache.ts). Outputs are published by
// rename, disk.raw last but one and image.json last, so a reader never sees a half-written image.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assembleUki,
  buildMeasurements,
  DEFAULT_PCR_PHASES,
  encodeMeasurements,
  signMeasurements,
  UKI_FILE,
  UKI_PARTS,
} from '../../lib/image/index.js';
import type { Logger } from '../../lib/log/index.js';
import { checkHostTools, type CommandRunner } from './build-tools.js';
import { buildDisk, buildEsp, type BootDiskInputs } from './boot-disk.js';
import { ensureEkCa } from './ek-ca.js';
import { fileRecord, imageManifestJson, type ImageManifest } from './image-manifest.js';
import { buildInitrd, INITRD_FILE } from './initrd-stage.js';
import { kernelCommandLine, verityPartitionUuids } from './kernel-cmdline.js';
import { installNodeApp, nodeAppSources } from './node-app.js';
import { bundleBootstrapper } from './bootstrapper-bundle.js';
import { osRelease } from './os-release.js';
import { publish, writeAtomically } from './publish.js';
import { ensureReleaseKey } from './release-key.js';
import { normalizeRootTree } from './root-tree.js';
import { buildRootfs, kernelVersion, PACKAGES_FILE, ROOTFS_TREE } from './rootfs-stage.js';
import { sourceIdentity } from './source-date.js';
import { StageCache, type StageRecord } from './stage-cache.js';
import { digestPaths, digestValue } from './tree-digest.js';
import { buildVerityRoot, ROOT_IMAGE, VERITY_IMAGE, veritySalt, type VerityRoot } from './verity-root.js';

export const IMAGE_NAME = 'constellation-node';
export const DISK_FILE = 'disk.raw';
const ROOT_RESULT = 'verity-root.json';
const DISK_DIGEST = 'disk.json';
export const MEASUREMENTS_FILE = 'measurements.json';
/** systemd-stub in the root tree (systemd-boot-efi), the base of the UKI. */
const STUB_PATH = 'usr/lib/systemd/boot/efi/linuxx64.efi.stub';
/**
 * The systemd-pcrphase words the guest extends into PCR 11 after the stub's sections: the initrd's pair (its
 * systemd-pcrphase-initrd.service works once libtss2-tctildr and -sys are in the initrd, see dracut.conf.d) and the
 * main system's pair. Checked against a real boot by test/vm/image-boot.vm.ts.
 */
/** What systemd-pcrphase measures in our image (initrd and main system): lib/image's default. */
export const PCR_PHASES: readonly string[] = DEFAULT_PCR_PHASES;

export interface ImageBuildOptions {
  readonly repo: string;
  /** out/image */
  readonly outDir: string;
  readonly noCache: boolean;
  readonly nodeBinary: string;
  readonly env: NodeJS.ProcessEnv;
  readonly run: CommandRunner;
  readonly logger: Logger;
}

export interface ImageBuildResult {
  readonly manifest: ImageManifest;
  readonly stages: readonly StageRecord[];
  readonly kernelVersion: string;
  readonly root: VerityRoot;
}

export async function buildImage(options: ImageBuildOptions): Promise<ImageBuildResult> {
  const { repo, outDir, run, logger } = options;
  await checkHostTools();
  await mkdir(outDir, { recursive: true });
  const cache = new StageCache({ dir: join(outDir, '.cache'), noCache: options.noCache, logger });
  const { sourceDateEpoch, version } = await sourceIdentity(repo, options.env, run);
  logger.info(`building ${IMAGE_NAME} ${version} (SOURCE_DATE_EPOCH=${String(sourceDateEpoch)})`);
  const releaseKey = await ensureReleaseKey(outDir, logger);
  const ekCa = await ensureEkCa(join(outDir, 'ek-ca'), logger);
  const osrel = osRelease({ name: IMAGE_NAME, version });

  const rootfsKey = digestValue({
    stage: 'rootfs',
    inputs: await digestPaths([
      join(repo, 'mkosi.conf'),
      join(repo, 'image/mkosi.extra'),
      join(repo, 'image/mkosi.postinst'),
    ]),
  });
  const rootfsDir = await cache.stage('rootfs', rootfsKey, (dir) =>
    buildRootfs(dir, { repo, packageCache: join(outDir, '.cache/packages'), run, logger }),
  );
  const rootfsTree = join(rootfsDir, ROOTFS_TREE);
  const kernel = await kernelVersion(rootfsTree);

  const initrdKey = digestValue({ stage: 'initrd', rootfsKey, kernel, sourceDateEpoch });
  const initrdDir = await cache.stage('initrd', initrdKey, (dir) =>
    buildInitrd(dir, rootfsTree, { kernelVersion: kernel, sourceDateEpoch, run }),
  );

  const app = await nodeAppSources(repo, options.nodeBinary);
  const bundle = await bundleBootstrapper(repo);
  const appDigest = digestValue({
    bundle: createHash('sha256').update(bundle).digest('hex'),
    binaries: await digestPaths([app.nodeBinary, ...app.addons]),
  });
  const salt = veritySalt(IMAGE_NAME, version);
  const rootKey = digestValue({ stage: 'verity-root', rootfsKey, appDigest, ekCa, osrel, sourceDateEpoch, salt });
  const rootDir = await cache.stage('verity-root', rootKey, async (dir) => {
    const tree = join(dir, 'tree');
    await run('cp', ['-a', '--reflink=auto', rootfsTree, tree]);
    await normalizeRootTree(tree, sourceDateEpoch);
    await installNodeApp(tree, app, bundle);
    await writeFile(join(tree, 'usr/share/constellation/ek-roots.pem'), ekCa.rootPem);
    await writeFile(join(tree, 'usr/share/constellation/ek-intermediates.pem'), ekCa.intermediatePem);
    await rm(join(tree, 'usr/lib/os-release'), { force: true });
    await writeFile(join(tree, 'usr/lib/os-release'), osrel);
    const result = await buildVerityRoot(dir, tree, { sourceDateEpoch, salt, run });
    await rm(tree, { recursive: true, force: true });
    await writeFile(join(dir, ROOT_RESULT), JSON.stringify(result));
  });
  const root = JSON.parse(await readFile(join(rootDir, ROOT_RESULT), 'utf8')) as VerityRoot;
  const cmdline = kernelCommandLine(root.rootHash);

  const ukiKey = digestValue({
    stage: 'uki',
    recipe: 2,
    initrdKey,
    rootHash: root.rootHash,
    cmdline,
    osrel,
    sourceDateEpoch,
  });
  const ukiDir = await cache.stage('uki', ukiKey, async (dir) => {
    await copyFile(join(rootfsTree, 'boot', `vmlinuz-${kernel}`), join(dir, UKI_PARTS.linux));
    await copyFile(join(initrdDir, INITRD_FILE), join(dir, UKI_PARTS.initrd));
    await assembleUki(
      dir,
      {
        stub: join(rootfsTree, STUB_PATH),
        linux: join(dir, UKI_PARTS.linux),
        initrd: join(dir, UKI_PARTS.initrd),
        osRelease: osrel,
        cmdline,
        sourceDateEpoch,
      },
      run,
    );
  });
  const ukiRecord = await fileRecord(join(ukiDir, UKI_FILE));

  const uuids = verityPartitionUuids(root.rootHash);
  const diskKey = digestValue({ stage: 'disk', ukiKey, rootKey, sourceDateEpoch });
  const diskDir = await cache.stage('disk', diskKey, async (dir) => {
    const inputs: BootDiskInputs = {
      uki: join(ukiDir, UKI_FILE),
      ukiBytes: ukiRecord.bytes,
      root: join(rootDir, ROOT_IMAGE),
      rootBytes: root.rootBytes,
      verity: join(rootDir, VERITY_IMAGE),
      verityBytes: root.verityBytes,
      rootUuid: uuids.root,
      verityUuid: uuids.verity,
      sourceDateEpoch,
    };
    const esp = await buildEsp(dir, inputs, run);
    await buildDisk(join(dir, DISK_FILE), esp, inputs, run);
    await rm(esp.path);
    await writeFile(join(dir, DISK_DIGEST), JSON.stringify(await fileRecord(join(dir, DISK_FILE))));
  });

  // Durable before published, and the build owns its I/O: on these hosts writeback runs at ~10-15 MB/s, a 4 MiB
  // fsync waited 100 s behind 1.5 GB of dirty pages, and with 1 GB left dirty before `mini up` the guests'
  // first-boot disk writes stalled for seconds. After the stages' own writeback this usually takes well under 1 s.
  const flushing = performance.now();
  await run('sync', ['--file-system', outDir]);
  logger.info(`image files flushed to disk in ${((performance.now() - flushing) / 1000).toFixed(1)} s`);
  // Publish. Large files are hard links to the cache entry (read-only: a VM must never write its base image).
  await publish(join(diskDir, DISK_FILE), join(outDir, DISK_FILE), 'link');
  await publish(join(ukiDir, UKI_FILE), join(outDir, UKI_FILE), 'copy');
  for (const part of Object.values(UKI_PARTS)) await publish(join(ukiDir, part), join(outDir, part), 'copy');
  await publish(join(rootfsDir, PACKAGES_FILE), join(outDir, PACKAGES_FILE), 'copy');
  const manifest: ImageManifest = {
    name: IMAGE_NAME,
    version,
    rootHash: root.rootHash,
    kernelCommandLine: cmdline,
    sourceDateEpoch,
    files: {
      [DISK_FILE]: JSON.parse(await readFile(join(diskDir, DISK_DIGEST), 'utf8')) as ImageManifest['files'][string],
      [UKI_FILE]: ukiRecord,
    },
  };
  // PCR 4 and 11 predicted from the UKI just published (phases: image/README.md), signed with the release key.
  const measurements = buildMeasurements({
    uki: await readFile(join(outDir, UKI_FILE)),
    imageName: IMAGE_NAME,
    version,
    phases: PCR_PHASES,
  });
  await writeAtomically(
    join(outDir, MEASUREMENTS_FILE),
    encodeMeasurements(signMeasurements(measurements, releaseKey.privateKey)),
  );
  await writeAtomically(join(outDir, 'image.json'), imageManifestJson(manifest));
  await run('sync', ['--file-system', outDir]);
  return { manifest, stages: cache.records, kernelVersion: kernel, root };
}
