// `npm run image:build` (node --import tsx image/build/main.ts): builds out/image/ (image/README.md). Progress and
// stage timings on stderr; exit 0 on success, 1 on a failed build, 2 on bad flags.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConstellationError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log/index.js';
import { runCommand } from './build-tools.js';
import { buildImage } from './image-build.js';

const USAGE = `Usage: image-build [--no-cache] [--out <dir>]
  --no-cache   rebuild every stage (the cache entries are replaced)
  --out <dir>  output directory (default out/image)
`;

async function main(argv: readonly string[]): Promise<number> {
  const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  let outDir = resolve(repo, 'out/image');
  let noCache = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-cache') noCache = true;
    else if (arg === '--out' && argv[i + 1] !== undefined) outDir = resolve(argv[++i] ?? '');
    else if (arg === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else {
      process.stderr.write(`Expected --no-cache or --out <dir>, found ${String(arg)}\n${USAGE}`);
      return 2;
    }
  }
  const logger = createLogger({ name: 'image-build', transport: 'stderr-text' });
  const started = Date.now();
  try {
    const result = await buildImage({
      repo,
      outDir,
      noCache,
      nodeBinary: process.execPath,
      env: process.env,
      run: runCommand,
      logger,
    });
    for (const stage of result.stages) {
      logger.info(`  ${stage.stage.padEnd(12)} ${stage.reused ? 'reused' : `built ${stage.seconds.toFixed(1)} s`}`);
    }
    logger.info(
      `image ${result.manifest.version} in ${outDir}: root hash ${result.manifest.rootHash}, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    process.stdout.write(
      `${JSON.stringify({ outDir, rootHash: result.manifest.rootHash, version: result.manifest.version })}\n`,
    );
    return 0;
  } catch (error) {
    const code = error instanceof ConstellationError ? error.code : 'INTERNAL';
    logger.error('image build failed', { code, error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
