// The agents as they run on a node: the host's Node binary, the compiled dist/ (agents and the libraries they
// import), the native addons and the production node_modules (no devDependencies), laid out as in the repo so the
// addon loader's relative paths hold: /usr/lib/constellation/app/{package.json,dist,native/build/Release,node_modules}.
import { access, copyFile, cp, mkdir, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';
import type { CommandRunner } from './build-tools.js';

export const APP_DIR = 'usr/lib/constellation/app';
export const NODE_BINARY = 'usr/bin/node';
/** dist/ folders a node never runs. */
const DIST_EXCLUDED = new Set(['test', 'bench', 'demo']);

export interface NodeAppSources {
  readonly repo: string;
  /** The Node binary copied into the image (the build host's own, by default process.execPath). */
  readonly nodeBinary: string;
  /** Absolute directories of the production packages (from `npm ls --omit=dev --parseable --all`). */
  readonly packages: readonly string[];
  /** The native addons (*.node in native/build/Release). */
  readonly addons: readonly string[];
}

/** Finds what the image carries; fails when dist/ or the addons were not built. */
export async function nodeAppSources(repo: string, nodeBinary: string, run: CommandRunner): Promise<NodeAppSources> {
  const main = join(repo, 'dist/agents/bootstrapper/main.js');
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
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: repo });
  return { repo, nodeBinary, packages: productionPackages(stdout, repo), addons };
}

/** The package directories below `repo`/node_modules from `npm ls --parseable` output (the repo itself dropped). */
export function productionPackages(parseable: string, repo: string): string[] {
  const modules = join(repo, 'node_modules') + sep;
  return [
    ...new Set(
      parseable
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith(modules)),
    ),
  ].sort();
}

/** Copies the app into `tree` (the image root). */
export async function installNodeApp(tree: string, sources: NodeAppSources): Promise<void> {
  const app = join(tree, APP_DIR);
  await mkdir(join(app, 'native/build/Release'), { recursive: true });
  await copyFile(sources.nodeBinary, join(tree, NODE_BINARY));
  await copyFile(join(sources.repo, 'package.json'), join(app, 'package.json'));
  for (const entry of await readdir(join(sources.repo, 'dist'))) {
    if (DIST_EXCLUDED.has(entry)) continue;
    await cp(join(sources.repo, 'dist', entry), join(app, 'dist', entry), {
      recursive: true,
      filter: (source) => !source.endsWith('.map'),
    });
  }
  for (const addon of sources.addons) {
    await copyFile(addon, join(app, 'native/build/Release', addon.slice(addon.lastIndexOf(sep) + 1)));
  }
  for (const pkg of sources.packages) {
    const target = join(app, relative(sources.repo, pkg));
    // Nested node_modules are listed (and copied) on their own when they are production dependencies.
    await cp(pkg, target, {
      recursive: true,
      filter: (source) => !relative(pkg, source).split(sep).includes('node_modules'),
    });
  }
}
