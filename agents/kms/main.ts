// Composition root of the KMS: config → logger → master secret source → startKeyService → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening":"host:port"} on stdout once serving (all agents do).
import { createLogger } from '../../lib/log/index.js';
import { ConstellationError } from '../../lib/errors.js';
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { KMS_CONFIG_SCHEMA, KMS_ENV_PREFIX, loadKmsConfig } from './config.js';
import { describeConfig } from '../../lib/config/index.js';
import { startKeyService } from './key-service-host.js';
import { MasterSecretSource } from './master-secret-source.js';

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `Usage: kms [flags]   (flags > $KMS_* environment > --config <file.json>)\n${describeConfig(KMS_CONFIG_SCHEMA, KMS_ENV_PREFIX)}\n`,
    );
    return 0;
  }
  let config;
  try {
    config = loadKmsConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    process.stderr.write(`kms: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const logger = createLogger({
    name: 'kms',
    level: config.logLevel,
    ...(config.logTransport === undefined ? {} : { transport: config.logTransport }),
  });
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

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof ConstellationError ? error.code : 'INTERNAL';
    process.stderr.write(`kms: failed to start (${code}): ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
