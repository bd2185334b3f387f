// The agents as they run on a node: the host's Node binary, the Bootstrapper as one bundled ES module (dist/ and the
// production packages, bootstrapper-bundle.ts) and the native addons next to it, where the addon loader's image
// path finds them: /usr/bin/node, /usr/lib/constellation/{bootstrapper.mjs,native/*.node}.
import { access, copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';
import { BOOTSTRAPPER_ENTRY } from './bootstrapper-bundle.js';

export const NODE_BINARY = 'usr/bin/node';
/** The bundled Bootstrapper (bootstrapper-start runs it). */
export const BOOTSTRAPPER_BUNDLE = 'usr/lib/constellation/bootstrapper.mjs';
/** ADDON_DIRECTORIES' image path in native/loader.ts. */
export const ADDON_DIR = 'usr/lib/constellation/native';

export interface NodeAppSources {
  /** The Node binary copied into the image (the build host's own, by default process.execPath). */
  readonly nodeBinary: string;
  /** The native addons (*.node in native/build/Release). */
  readonly addons: readonly string[];
}

/** Finds what the image carries; fails when dist/ or the addons were not built. */
export async function nodeAppSources(repo: string, nodeBinary: string): Promise<NodeAppSources> {
  const main = join(repo, BOOTSTRAPPER_ENTRY);
  await access(main).catch(() => {
    throw new ConstellationError(
      'IMAGE_BUILD_INPUT_MISSING',
      `Expected ${main}, found none: run \`npm run build\` first`,
    );
  });
  const release = join(repo, 'native/build/Release');
  const addons = (await readdir(release).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.node'))
    .sort()
    .map((name) => join(release, name));
  if (!addons.some((path) => path.includes('tpm2-'))) {
    throw new ConstellationError(
      'IMAGE_BUILD_INPUT_MISSING',
      `Expected the TPM addon in ${release}, found ${addons.length === 0 ? 'no addon' : addons.join(', ')}: run \`npm run build:native\``,
    );
  }
  return { nodeBinary, addons };
}

/** Writes the Node binary, the bundled Bootstrapper and the addons into `tree` (the image root). */
export async function installNodeApp(tree: string, sources: NodeAppSources, bundle: Buffer): Promise<void> {
  await mkdir(join(tree, ADDON_DIR), { recursive: true });
  await copyFile(sources.nodeBinary, join(tree, NODE_BINARY));
  await writeFile(join(tree, BOOTSTRAPPER_BUNDLE), bundle, { mode: 0o644 });
  for (const addon of sources.addons) {
    await copyFile(addon, join(tree, ADDON_DIR, addon.slice(addon.lastIndexOf(sep) + 1)));
  }
}
