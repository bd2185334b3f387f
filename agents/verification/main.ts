// Composition root of the verification agent: config → logger → TPM + AK → gRPC and HTTP listeners → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening": {...}, "akName": "..."} on stdout once bound; the AK name is
// what a verifier pins (trust mode 'pinned-ak-names') when it has no other anchor for this node's AK.
import { createLogger } from '../../lib/log/index.js';
import { onShutdown } from '../../lib/systemd/shutdown.js';
import { notifyReady } from '../../lib/systemd/notify.js';
import { Tpm } from '../../native/tpm.js';
import { startAgent } from './agent.js';
import { openTpmAttestationSource } from './attestation-source.js';
import { loadVerificationConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadVerificationConfig(process.argv.slice(2), process.env);
  const logger = createLogger({
    name: 'verification',
    level: config.logLevel,
    ...(config.logTransport === undefined ? {} : { transport: config.logTransport }),
  });
  const source = await openTpmAttestationSource(await Tpm.open(config.tcti), { eventLogPath: config.eventLogPath });
  const agent = await startAgent({
    source,
    logger,
    grpcListen: config.grpcListen,
    grpcTransport: config.grpcTransport,
    httpListen: config.httpListen,
  }).catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
  onShutdown(
    async ({ signal, deadline }) => {
      logger.info('shutting down', { signal });
      await agent.close(deadline);
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error: String(error) });
      },
    },
  );
  const listening = { grpc: agent.grpc ?? null, http: agent.http ?? null };
  logger.info('serving', { ...listening, grpcTransport: config.grpcTransport, akName: agent.akName });
  process.stdout.write(`${JSON.stringify({ listening, akName: agent.akName })}\n`);
  await notifyReady('serving attestation documents');
}

main().catch((error: unknown) => {
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'INTERNAL';
  process.stderr.write(
    `verification agent failed: ${code}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
