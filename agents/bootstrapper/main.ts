// Composition root of the Bootstrapper: config → logger → TPM → state disk → metadata client → Kubernetes layer
// → in-process services → boot state machine (READY=1 once it serves) → SIGTERM. Milestones go to stdout as JSON lines, logs to
// stderr. Exit 0 = stopped by SIGTERM; any other exit is fatal and the machine reboots (a failed activation has
// already marked the disk for reset, so the next boot starts fresh).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tpm } from '../../native/tpm.js';
import { ConstellationError } from '../../lib/errors.js';
import { describeConfig } from '../../lib/config/index.js';
import { auditLog, type Logger } from '../../lib/log/index.js';
import { notify, onShutdown } from '../../lib/systemd/index.js';
import { createMetadataClient } from '../../lib/metadata/index.js';
import { noneKubernetes } from '../../lib/kubernetes/index.js';
import { joinCluster } from '../../lib/join/join-client.js';
import { rejoinCluster } from '../../lib/join/rejoin-client.js';
import { joinServiceCheck } from '../../lib/join/service-check.js';
import { startKeyService } from '../kms/key-service-host.js';
import { startJoinService } from '../joinservice/join-service-host.js';
import { startVerificationService } from '../verification/verification-host.js';
import { bootNode } from './boot-state-machine.js';
import { BOOTSTRAPPER_CONFIG_SCHEMA, BOOTSTRAPPER_ENV_PREFIX, loadBootstrapperConfig } from './config.js';
import { NodeServices } from './control-plane-services.js';
import { readinessMilestones, stdoutMilestones } from './milestones.js';
import { chooseStateDisk } from './state-disk-choice.js';
import { loadNodeKeys, nodeAttestation } from './node-attestation.js';
import { agentLogger, EXIT_BAD_CONFIG, loadAgentConfig, runAgent } from '../../lib/agent/agent-main.js';

/** One join/rejoin round tries each address twice; the boot loop repeats rounds (join-loop.ts). */
const ROUND_RETRY = { attempts: 2, baseMs: 200, maxMs: 1000 } as const;

async function readPcrs(tpm: Tpm): Promise<Record<number, Buffer>> {
  const { values } = await tpm.pcrRead({ sha256: Array.from({ length: 24 }, (_, index) => index) });
  return Object.fromEntries(Object.entries(values.sha256 ?? {}).map(([index, value]) => [index, Buffer.from(value)]));
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `Usage: bootstrapper [flags]   (flags > $BOOTSTRAPPER_* environment > --config <file.json>)\n${describeConfig(BOOTSTRAPPER_CONFIG_SCHEMA, BOOTSTRAPPER_ENV_PREFIX)}\n`,
    );
    return 0;
  }
  const config = loadAgentConfig('bootstrapper', () =>
    loadBootstrapperConfig({ argv: process.argv.slice(2), env: process.env }),
  );
  if (config === undefined) return EXIT_BAD_CONFIG;
  const logger = agentLogger('bootstrapper', config);
  // How long Node took to load the agent (its modules are most of a TCG guest's Bootstrapper start-up).
  logger.debug('bootstrapper loaded', { uptimeSeconds: Number(process.uptime().toFixed(2)) });
  const eventLogPath = config.eventLog;
  const ekRoots = [await readFile(config.ekRoots, 'utf8')];
  const ekIntermediates = config.ekIntermediates === undefined ? [] : [await readFile(config.ekIntermediates, 'utf8')];
  const tpm = await Tpm.open(config.tcti);
  const { disk, warning } = await chooseStateDisk({
    stateDisk: config.stateDisk,
    directory: join(config.stateDir, 'disk'),
    mountPoint: join(config.stateDir, 'mount'),
    onCommand: (timing) => {
      logger.debug('state disk command', { ...timing });
    },
  });
  if (warning !== undefined) logger.warn(warning);
  const metadata = createMetadataClient({ url: config.metadataUrl, localAddress: config.nodeAddress });
  const kubernetes = noneKubernetes({ stateDir: join(disk.mountPoint, 'kubernetes') });
  // One AK/EK pair for every TPM user on the node (swtpm has 3 transient object slots): loaded once, lent out.
  const keys = await loadNodeKeys(tpm);
  const attestation = nodeAttestation(tpm, keys, eventLogPath);
  // The JoinService must run this node's own measured image: compare with our PCRs before PCR 15 is touched.
  const verifyService = joinServiceCheck({ ekRoots, ekIntermediates, ownPcrs: await readPcrs(tpm) });
  const services = new NodeServices({
    nodeAddress: config.nodeAddress,
    startKeyService: (options) => startKeyService({ ...options, logger: logger.child({ component: 'kms' }) }),
    startJoinService: (options) =>
      startJoinService({
        ...options,
        tpm,
        keys,
        logger: logger.child({ component: 'joinservice' }),
        ekTrust: { ekRoots, ekIntermediates },
        ...(eventLogPath === undefined ? {} : { eventLogPath }),
      }),
    startVerificationService: (options) =>
      startVerificationService({
        ...options,
        tpm,
        keys,
        logger: logger.child({ component: 'verification' }),
        ...(eventLogPath === undefined ? {} : { eventLogPath }),
      }),
  });
  const stop = new AbortController();
  const release = async (): Promise<void> => {
    await services.close();
    await attestation.close();
    await disk.close();
    await tpm.flush(keys.ak);
    await tpm.flush(keys.ek);
    await tpm.close();
  };
  onShutdown(
    async ({ signal }) => {
      logger.info('shutting down', { signal });
      stop.abort(new ConstellationError('SHUTDOWN', `stopped by ${signal}`));
      await release();
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error });
      },
    },
  );
  const joinOptions = {
    tpm,
    keys,
    verifyService,
    retry: ROUND_RETRY,
    ...(eventLogPath === undefined ? {} : { eventLogPath }),
  };
  try {
    await bootNode(
      {
        tpm,
        attestation,
        disk,
        metadata,
        kubernetes,
        services,
        nodeAddress: config.nodeAddress,
        join: ({ addresses, signal, diskUuid, nodeName }) =>
          joinCluster({ ...joinOptions, addresses, signal, diskUuid, nodeName }),
        rejoin: ({ addresses, signal, diskUuid, nodeName, measurementSalt }) =>
          rejoinCluster({ ...joinOptions, addresses, signal, diskUuid, nodeName, measurementSalt }),
        logger,
        audit: auditLog(logger.child({ component: 'audit' })),
        milestone: readinessMilestones(stdoutMilestones(), notify, (error) => {
          logger.error('could not notify systemd', { error });
        }),
        retryIntervalMs: config.retryIntervalMs,
      },
      stop.signal,
    );
  } catch (error) {
    if (stop.signal.aborted) return 0; // SIGTERM while booting: the shutdown handler exits.
    fatal(logger, error);
    await release().catch(() => undefined);
    process.exit(1);
  }
  return 0;
}

function fatal(logger: Logger, error: unknown): void {
  logger.error('bootstrapper failed; the machine reboots', {
    code: error instanceof ConstellationError ? error.code : 'INTERNAL',
    error: error instanceof Error ? error.message : String(error),
  });
}

runAgent('bootstrapper', main, { exitOnFailure: true });
