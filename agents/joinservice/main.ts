// Composition root of the JoinService: config → logger → services (TPM, KMS key source, policy store,
// challenge book, clock) → gRPC server (JoinService + Attester on one attested TLS identity) → READY=1 →
// graceful shutdown on SIGTERM. Prints {"listening":"host:port","akName":hex} on stdout once serving.
import { randomBytes, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tpm } from '../../native/tpm.js';
import { ConstellationError } from '../../lib/errors.js';
import { ChallengeBook, createAttestedIdentity, sealTo } from '../../lib/atls/index.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { formatListenAddress } from '../../lib/config/index.js';
import { auditLog, createLogger } from '../../lib/log/index.js';
import { notifyReady, onShutdown } from '../../lib/systemd/index.js';
import { loggerAudit } from './audit.js';
import { readClusterFile } from './cluster-file.js';
import { loadJoinServiceConfig } from './config.js';
import { createJoinProtocol } from './join-protocol.js';
import { parseJoinPolicyBytes } from './join-policy.js';
import { adminPublicKeyFrom, kmsKeySource } from './kms-key-source.js';
import { PolicyStore } from './policy-store.js';
import { startJoinServer } from './server.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadJoinServiceConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    process.stderr.write(`joinservice: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const logger = createLogger({
    name: 'joinservice',
    level: config.logLevel,
    ...(config.logTransport === undefined ? {} : { transport: config.logTransport }),
  });
  const keys = kmsKeySource(config.kmsAddress);
  const adminPublicKey =
    config.adminPublicKeyFile === undefined
      ? await adminPublicKeyFrom(keys)
      : createPublicKey(await readFile(config.adminPublicKeyFile, 'utf8'));
  const policy = parseJoinPolicyBytes(await readFile(config.policyFile), BigInt(config.policyVersion));
  const ekRoots = [await readFile(config.ekRootsFile, 'utf8')];
  const ekIntermediates =
    config.ekIntermediatesFile === undefined ? [] : [await readFile(config.ekIntermediatesFile, 'utf8')];
  const tpm = await Tpm.open(config.tpmTcti);
  // The AK is derived from the EK hierarchy, so its name is stable per TPM: nodes pin it (README.md).
  const ak = await tpm.createAk('ecc');
  const protocol = createJoinProtocol({
    policies: new PolicyStore(policy, adminPublicKey),
    challenges: new ChallengeBook({
      key: config.challengeKey === undefined ? randomBytes(32) : Buffer.from(config.challengeKey, 'hex'),
      ttlMs: config.challengeTtlMs,
    }),
    seal: sealTo,
    keys,
    cluster: await readClusterFile(config.clusterFile),
    ekTrust: { ekRoots, ekIntermediates },
    audit: loggerAudit(auditLog(logger.child({ component: 'audit' }))),
    now: () => new Date(),
  });
  const server = await startJoinServer({
    protocol,
    identity: await createAttestedIdentity(),
    address: formatListenAddress(config.listen),
    issueEvidence: async (nonce, binding) => {
      const { document } = await issueQemuVtpmEvidence({
        tpm,
        nonce,
        binding,
        ak,
        ...(config.eventLogPath === undefined ? {} : { eventLogPath: config.eventLogPath }),
      });
      return validateDocumentMessage(document);
    },
  });
  const address = formatListenAddress({ host: config.listen.host, port: server.port });
  onShutdown(
    async ({ signal, deadline }) => {
      logger.info('shutting down', { signal });
      const onAbort = (): void => {
        server.server.forceShutdown();
      };
      deadline.addEventListener('abort', onAbort, { once: true });
      await server.close();
      keys.close();
      await tpm.close();
    },
    {
      report: (event, error) => {
        logger.error(`shutdown: ${event}`, { error });
      },
    },
  );
  process.stdout.write(`${JSON.stringify({ listening: address, akName: ak.name.toString('hex') })}\n`);
  logger.info('serving JoinService', { listen: address, policyVersion: policy.version.toString() });
  await notifyReady(`serving on ${address}`).catch((error: unknown) => {
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
    process.stderr.write(
      `joinservice: failed to start (${code}): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
