// Composition root of the metadata service: config → logger → HTTP server over the inventory file → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening":"ip:port"} on stdout once serving.
import { describeConfig } from '../../lib/config/index.js';
import { readInventory } from '../../lib/metadata/inventory.js';
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { loadMetadataConfig, METADATA_CONFIG_SCHEMA, METADATA_ENV_PREFIX } from './config.js';
import { startMetadataService } from './metadata-server.js';
import { agentLogger, EXIT_BAD_CONFIG, loadAgentConfig, runAgent } from '../../lib/agent/agent-main.js';

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `Usage: metadata --inventory <file.json> [flags]   (flags > $METADATA_* environment > --config <file.json>)\n` +
        `${describeConfig(METADATA_CONFIG_SCHEMA, METADATA_ENV_PREFIX)}\n`,
    );
    return 0;
  }
  const config = loadAgentConfig('metadata', () => loadMetadataConfig(process.argv.slice(2), process.env));
  if (config === undefined) return EXIT_BAD_CONFIG;
  const logger = agentLogger('metadata', config);
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

runAgent('metadata', main);
