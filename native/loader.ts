// Loads a native addon from the local build or the image-installed path. When every candidate fails it
// throws ONE TpmError('NATIVE_LOAD_FAILED') that lists each cause it recognised and its fix (as sharp does).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { TpmError } from '../lib/errors.js';

const require = createRequire(import.meta.url);

/** Where the .node files may be: this folder's build (also from dist/native), then the node image's copy. */
export const ADDON_DIRECTORIES: readonly string[] = [
  fileURLToPath(new URL('./build/Release/', import.meta.url)),
  fileURLToPath(new URL('../../native/build/Release/', import.meta.url)),
  '/usr/lib/constellation/native/',
];

/** File name of the TPM addon for this platform (the gyp target is versioned by OS and architecture). */
export const TPM_ADDON_FILE = `tpm2-${process.platform}-${process.arch}.node`;

interface Attempt {
  readonly path: string;
  readonly error: unknown;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns load failures into causes with fixes; one line per distinct cause. */
export function diagnoseLoadFailures(attempts: readonly Attempt[], platform: string = process.platform): string[] {
  const causes = new Set<string>();
  if (platform !== 'linux') {
    causes.add(`wrong platform: the TPM addon needs Linux with tpm2-tss, but this is ${platform}`);
  }
  for (const { path, error } of attempts) {
    const message = errorMessage(error);
    if (errorCode(error) === 'MODULE_NOT_FOUND' && message.includes(path)) {
      causes.add('not built: run `npm run build:native` (needs libtss2-dev, pkg-config, g++, make, python3)');
    } else if (/libtss2-[a-z]+\.so/.test(message)) {
      const library = /libtss2-[a-z]+\.so[.0-9]*/.exec(message)?.[0] ?? 'libtss2';
      causes.add(
        `${library} is missing: apt-get install libtss2-esys-3.0.2-0 libtss2-tctildr0 (or libtss2-dev to build)`,
      );
    } else if (/NODE_MODULE_VERSION|was compiled against a different Node|undefined symbol/.test(message)) {
      causes.add(
        `ABI mismatch for ${path}: rebuild with \`npm run build:native\` under this Node (${process.version})`,
      );
    } else if (/invalid ELF header|wrong ELF class|ELF|architecture/.test(message)) {
      causes.add(
        `wrong platform: ${path} was built for another OS or architecture; rebuild with \`npm run build:native\``,
      );
    } else {
      causes.add(`${path}: ${message}`);
    }
  }
  return [...causes];
}

/** Requires `file` from the first directory that has a loadable copy. */
export function loadAddon(file: string, directories: readonly string[] = ADDON_DIRECTORIES): unknown {
  const attempts: Attempt[] = [];
  for (const directory of directories) {
    const path = join(directory, file);
    try {
      return require(path) as unknown;
    } catch (error) {
      attempts.push({ path, error });
    }
  }
  const causes = diagnoseLoadFailures(attempts);
  throw new TpmError(
    'NATIVE_LOAD_FAILED',
    `Expected the native addon ${file} to load but it did not (tried ${directories.length} locations). ` +
      `Possible causes and fixes:\n  - ${causes.join('\n  - ')}`,
    {},
    { cause: attempts[0]?.error },
  );
}
