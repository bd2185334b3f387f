// Composition root of the KMS: config → logger → master secret source → startKeyService → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening":"host:port"} on stdout once serving (all agents do).
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { KMS_CONFIG_SCHEMA, KMS_ENV_PREFIX, loadKmsConfig } from './config.js';
import { describeConfig } from '../../lib/config/index.js';
import { startKeyService } from './key-service-host.js';
import { MasterSecretSource } from './master-secret-source.js';
import { agentLogger, EXIT_BAD_CONFIG, loadAgentConfig, runAgent } from '../../lib/agent/agent-main.js';

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `Usage: kms [flags]   (flags > $KMS_* environment > --config <file.json>)\n${describeConfig(KMS_CONFIG_SCHEMA, KMS_ENV_PREFIX)}\n`,
    );
    return 0;
  }
  const config = loadAgentConfig('kms', () => loadKmsConfig({ argv: process.argv.slice(2), env: process.env }));
  if (config === undefined) return EXIT_BAD_CONFIG;
  const logger = agentLogger('kms', config);
  const secrets = new MasterSecretSource(config.masterSecretFile, logger);
  // Load now if the file is already there; otherwise requests are refused until it appears.
  await secrets.get().catch((error: unknown) => {
    logger.warn('serving without a master secret until the file appears', { file: config.masterSecretFile, error });
  });
  const kms = await startKeyService({ listen: config.listen, secrets, logger });
  onShutdown(
    async ({ signal, deadline }) => {
      logger.info('shutting down', { signal });
      await kms.close(deadline);
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error });
      },
    },
  );
  process.stdout.write(`${JSON.stringify({ listening: kms.address })}\n`);
  logger.info('serving KeyService', { listen: kms.address, keysAvailable: secrets.isLoaded });
  await notifyReady(`serving on ${kms.address}`).catch((error: unknown) => {
    logger.error('could not notify systemd', { error });
  });
  return 0;
}

runAgent('kms', main);
