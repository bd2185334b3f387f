// Composition root of the metadata service: config → logger → HTTP server over the inventory file → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening":"ip:port"} on stdout once serving.
import { describeConfig } from '../../lib/config/index.js';
import { ConstellationError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log/index.js';
import { readInventory } from '../../lib/metadata/inventory.js';
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { loadMetadataConfig, METADATA_CONFIG_SCHEMA, METADATA_ENV_PREFIX, type MetadataConfig } from './config.js';
import { startMetadataService } from './metadata-server.js';

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `Usage: metadata --inventory <file.json> [flags]   (flags > $METADATA_* environment > --config <file.json>)\n` +
        `${describeConfig(METADATA_CONFIG_SCHEMA, METADATA_ENV_PREFIX)}\n`,
    );
    return 0;
  }
  let config: MetadataConfig;
  try {
    config = loadMetadataConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`metadata: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const logger = createLogger({
    name: 'metadata',
    level: config.logLevel,
    ...(config.logTransport === undefined ? {} : { transport: config.logTransport }),
  });
  // Refuse to start on an inventory we could never serve; later edits are re-read (and reported) per request.
  const inventory = await readInventory(config.inventory);
  const service = await startMetadataService({ inventoryPath: config.inventory, listen: config.listen, logger });
  onShutdown(
    async ({ signal }) => {
      logger.info('shutting down', { signal });
      await service.close();
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error: String(error) });
      },
    },
  );
  process.stdout.write(`${JSON.stringify({ listening: service.address })}\n`);
  logger.info('serving metadata', { listen: service.address, nodes: inventory.nodes.length });
  await notifyReady(`serving on ${service.address}`).catch((error: unknown) => {
    logger.error('could not notify systemd', { error: String(error) });
  });
  return 0;
}

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof ConstellationError ? error.code : 'INTERNAL';
    process.stderr.write(`metadata: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
