// Composition root of the verification agent: config → logger → TPM, AK and EK → VerificationService host (gRPC and
// HTTP listeners) → READY=1 → graceful shutdown on SIGTERM. Prints {"listening": {...}, "akName": "..."} on stdout
// once bound; the AK name is what a verifier pins (trust mode 'pinned-ak-names') when it does not prove the AK by
// credential activation (VerificationService.ActivateCredential).
import { parseListenAddress } from '../../lib/config/index.js';
import { onShutdown } from '../../lib/systemd/shutdown.js';
import { notifyReady } from '../../lib/systemd/notify.js';
import { Tpm, type KeyHandle } from '../../native/tpm.js';
import { DOCUMENT_EK_KIND } from './attestation-source.js';
import { loadVerificationConfig } from './config.js';
import { startVerificationService } from './verification-host.js';
import { agentLogger, EXIT_BAD_CONFIG, loadAgentConfig, runAgent } from '../../lib/agent/agent-main.js';

function listenAddress(text: string): { host: string; port: number } {
  const parsed = parseListenAddress(text);
  // loadVerificationConfig already validated and formatted it.
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

async function main(): Promise<number> {
  const config = loadAgentConfig('verification', () => loadVerificationConfig(process.argv.slice(2), process.env));
  if (config === undefined) return EXIT_BAD_CONFIG;
  const logger = agentLogger('verification', config);
  const tpm = await Tpm.open(config.tcti);
  // This process is the TPM's only user: keep the AK and EK loaded for its lifetime.
  const keys: KeyHandle[] = [];
  const release = async (): Promise<void> => {
    try {
      for (const key of keys) await tpm.flush(key);
    } finally {
      await tpm.close();
    }
  };
  let service;
  try {
    const ak = await tpm.createAk('ecc');
    keys.push(ak);
    const ek = await tpm.createEk(DOCUMENT_EK_KIND);
    keys.push(ek);
    service = await startVerificationService({
      tpm,
      logger,
      keys: { ak, ek },
      grpcListen: listenAddress(config.grpcListen),
      grpcTransport: config.grpcTransport,
      httpListen: listenAddress(config.httpListen),
      eventLogPath: config.eventLogPath,
    });
  } catch (error) {
    await release();
    throw error;
  }
  const running = service;
  onShutdown(
    async ({ signal, deadline }) => {
      logger.info('shutting down', { signal });
      try {
        await running.close(deadline);
      } finally {
        await release();
      }
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error: String(error) });
      },
    },
  );
  const listening = { grpc: running.grpcAddress, http: running.httpAddress };
  logger.info('serving', { ...listening, grpcTransport: config.grpcTransport, akName: running.akName });
  process.stdout.write(`${JSON.stringify({ listening, akName: running.akName })}\n`);
  await notifyReady('serving attestation documents');
  return 0;
}

runAgent('verification', main);
