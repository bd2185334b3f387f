// The Bootstrapper as the image runs it: one ES module bundled by esbuild from the compiled dist/ and the production
// packages. A node loads one 2 MB file instead of ~350 modules; under QEMU's TCG with `--jitless` the agent was
// loaded in 1.8 s instead of 2.9 s (qemu-user, measured), and execa (imported lazily for the first cryptsetup
// call, another 0.9 s) is already parsed. The native addons stay files: the loader's image path
// (/usr/lib/constellation/native/, native/loader.ts) finds them.
import { build } from 'esbuild';
import { join } from 'node:path';
import { ConstellationError } from '../../lib/errors.js';

export const BOOTSTRAPPER_ENTRY = 'dist/agents/bootstrapper/main.js';

/**
 * CommonJS packages in an ES module bundle (grpc-js, protobufjs) still call require() for Node built-ins, and two
 * rarely used grpc-js paths name __dirname: give the bundle all three, as Node gives a CommonJS module.
 */
const COMMONJS_SHIM = [
  "import { createRequire as __bundleRequire } from 'node:module';",
  "import { fileURLToPath as __bundlePath } from 'node:url';",
  'const require = __bundleRequire(import.meta.url);',
  'const __filename = __bundlePath(import.meta.url);',
  "const __dirname = __bundlePath(new URL('.', import.meta.url));",
].join('\n');

/** Bundles `<repo>/dist/agents/bootstrapper/main.js`; the same inputs give the same bytes. */
export async function bundleBootstrapper(repo: string): Promise<Buffer> {
  const result = await build({
    absWorkingDir: repo,
    entryPoints: [join(repo, BOOTSTRAPPER_ENTRY)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['*.node'],
    banner: { js: COMMONJS_SHIM },
    write: false,
    logLevel: 'silent',
  }).catch((error: unknown) => {
    throw new ConstellationError(
      'IMAGE_BUILD_BUNDLE_FAILED',
      `Expected esbuild to bundle ${BOOTSTRAPPER_ENTRY}, found: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  const [output] = result.outputFiles;
  if (result.outputFiles.length !== 1 || output === undefined) {
    throw new ConstellationError(
      'IMAGE_BUILD_BUNDLE_FAILED',
      `Expected esbuild to write one bundle, found ${String(result.outputFiles.length)} files`,
    );
  }
  return Buffer.from(output.contents);
}
