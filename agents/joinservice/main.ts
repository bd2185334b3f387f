// Composition root of the JoinService: config → logger → inputs (policy, EK roots, cluster material, admin
// key, TPM) → startJoinService → READY=1 → graceful shutdown on SIGTERM. Prints
// {"listening":"host:port","akName":hex} on stdout once serving.
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tpm } from '../../native/tpm.js';
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { readClusterFile } from './cluster-file.js';
import { loadJoinServiceConfig } from './config.js';
import { parseJoinPolicyBytes } from './join-policy.js';
import { startJoinService } from './join-service-host.js';
import { adminPublicKeyFrom, kmsKeySource } from './kms-key-source.js';
import { agentLogger, EXIT_BAD_CONFIG, loadAgentConfig, runAgent } from '../../lib/agent/agent-main.js';

async function main(): Promise<number> {
  const config = loadAgentConfig('joinservice', () =>
    loadJoinServiceConfig({ argv: process.argv.slice(2), env: process.env }),
  );
  if (config === undefined) return EXIT_BAD_CONFIG;
  const logger = agentLogger('joinservice', config);
  const adminPublicKey =
    config.adminPublicKeyFile === undefined
      ? await adminPublicKeyFromKms(config.kmsAddress)
      : createPublicKey(await readFile(config.adminPublicKeyFile, 'utf8'));
  const policy = parseJoinPolicyBytes(await readFile(config.policyFile), BigInt(config.policyVersion));
  const ekRoots = [await readFile(config.ekRootsFile, 'utf8')];
  const ekIntermediates =
    config.ekIntermediatesFile === undefined ? [] : [await readFile(config.ekIntermediatesFile, 'utf8')];
  const cluster = await readClusterFile(config.clusterFile);
  const tpm = await Tpm.open(config.tpmTcti);
  const service = await startJoinService({
    tpm,
    logger,
    listen: config.listen,
    kmsAddress: config.kmsAddress,
    policy,
    adminPublicKey,
    ekTrust: { ekRoots, ekIntermediates },
    cluster,
    challengeTtlMs: config.challengeTtlMs,
    ...(config.challengeKey === undefined ? {} : { challengeKey: Buffer.from(config.challengeKey, 'hex') }),
    ...(config.eventLogPath === undefined ? {} : { eventLogPath: config.eventLogPath }),
  }).catch(async (error: unknown) => {
    await tpm.close();
    throw error;
  });
  onShutdown(
    async ({ signal }) => {
      logger.info('shutting down', { signal });
      // Graceful, forced after 5 s (inside onShutdown's deadline): a hanging stream cannot hold the process.
      await service.close(5000);
      await tpm.close();
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error });
      },
    },
  );
  process.stdout.write(`${JSON.stringify({ listening: service.address, akName: service.akName })}\n`);
  logger.info('serving JoinService', { listen: service.address, policyVersion: policy.version.toString() });
  await notifyReady(`serving on ${service.address}`).catch((error: unknown) => {
    logger.error('could not notify systemd', { error });
  });
  return 0;
}

/** The admin public key from the KMS's HKDF seed, over a channel used only for that. */
async function adminPublicKeyFromKms(kmsAddress: string): ReturnType<typeof adminPublicKeyFrom> {
  const keys = kmsKeySource(kmsAddress);
  try {
    return await adminPublicKeyFrom(keys);
  } finally {
    keys.close();
  }
}

runAgent('joinservice', main);
