// One simulated node as a child process: its own swtpm with an EK certificate from the shared local CA,
// joining over real sockets. Usage: node --import tsx node-process.ts '<JSON NodeSpec>'. Prints one JSON line
// per join ({"event":"joined",…}) and a final {"event":"done"} or {"event":"failed",…}; never a secret
// (the disk key only as a SHA-256 digest).
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Tpm } from '../../../native/tpm.js';
import { ConstellationError } from '../../../lib/errors.js';
import type { LocalCa } from '../../../lib/swtpm/local-ca.js';
import { startSwtpm } from '../../../lib/swtpm/swtpm-process.js';
import { keyFingerprint } from '../../../lib/attestation/verify/ak-trust.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { joinCluster } from '../../../lib/join/join-client.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import { JoinRejectedError } from '../../../lib/join/unary-call.js';
import { openSealed, type DocumentCheck } from '../../../lib/atls/index.js';
import { JoinTicket } from '../../../proto/gen/join.js';
import { manualNode } from './manual-node.js';

export interface NodeSpec {
  readonly address: string;
  readonly caDir: string;
  readonly serviceAkName: string;
  readonly diskUuid: string;
  readonly nodeName: string;
  /** Joins in a row (join storm); default 1. */
  readonly joins?: number;
  readonly retry?: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
  /**
   * 'fresh' (default): every join dials and attests the service anew (joinCluster). 'reuse': one attested
   * channel for all joins, as a long-lived client keeps it (bench); each join still gets a fresh challenge,
   * activation, quote and node key. No retries in that mode.
   */
  readonly channel?: 'fresh' | 'reuse';
}

process.env.TSS2_LOG ??= 'all+NONE';
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

/**
 * The CA the test created. Not createLocalCa: it rewrites the CA's config file in place, and a sibling node
 * provisioning its EK at that moment reads a truncated file (swtpm_localca: "Missing 'statedir'").
 */
function existingCa(dir: string): LocalCa {
  return {
    dir,
    rootPem: () => readFile(join(dir, 'swtpm-localca-rootca-cert.pem'), 'utf8'),
    intermediatePem: () => readFile(join(dir, 'issuercert.pem'), 'utf8'),
  };
}

async function main(spec: NodeSpec): Promise<void> {
  const ca = existingCa(spec.caDir);
  const swtpm = await startSwtpm({ ca, pcrBanks: ['sha256'] });
  // A test tearing down early sends SIGTERM: stop our swtpm so no child outlives us.
  process.once('SIGTERM', () => {
    void swtpm.stop().finally(() => process.exit(143));
  });
  const tpm = await Tpm.open(swtpm.tcti);
  try {
    const ekCertificate = await tpm.readEkCertificate('rsa');
    const ek = ekCertificate === undefined ? '' : keyFingerprint(new X509Certificate(ekCertificate).publicKey);
    print({ event: 'ready', ek });
    const verifyService = joinServiceCheck({
      policy: parsePolicy({}),
      ekRoots: [await ca.rootPem()],
      ekIntermediates: [await ca.intermediatePem()],
      serviceAkNames: [spec.serviceAkName],
    });
    if (spec.channel === 'reuse') {
      await joinOnOneChannel(tpm, spec, verifyService);
      print({ event: 'done' });
      return;
    }
    for (let index = 0; index < (spec.joins ?? 1); index += 1) {
      let attempts = 0;
      const started = performance.now();
      const { role, ticket } = await joinCluster({
        tpm,
        address: spec.address,
        verifyService,
        diskUuid: spec.diskUuid,
        nodeName: spec.nodeName,
        eventLogPath: '/nonexistent/binary_bios_measurements',
        ...(spec.retry === undefined ? {} : { retry: spec.retry }),
        onAttempt: (attempt) => {
          attempts = attempt;
        },
      });
      print({
        event: 'joined',
        role,
        attempts,
        ms: performance.now() - started,
        diskKeySha256: createHash('sha256').update(ticket.stateDiskKey).digest('hex'),
        controlPlaneFiles: ticket.controlPlaneFiles.map((file) => file.name),
      });
    }
    print({ event: 'done' });
  } finally {
    await tpm.close();
    await swtpm.stop();
    await rm(swtpm.stateDir, { recursive: true, force: true });
  }
}

async function joinOnOneChannel(tpm: Tpm, spec: NodeSpec, verifyService: DocumentCheck): Promise<void> {
  const node = await manualNode(tpm, spec.address, verifyService);
  try {
    for (let index = 0; index < (spec.joins ?? 1); index += 1) {
      const started = performance.now();
      const challenge = await node.challenge();
      const secret = await node.activate(challenge);
      const { request, privateKey, digest } = await node.request(challenge, secret, {
        diskUuid: spec.diskUuid,
        nodeName: spec.nodeName,
      });
      const response = await node.issue(request);
      const ticket = JoinTicket.decode(openSealed(privateKey, response.sealedTicket, digest));
      print({
        event: 'joined',
        role: response.role,
        attempts: 1,
        ms: performance.now() - started,
        diskKeySha256: createHash('sha256').update(ticket.stateDiskKey).digest('hex'),
        controlPlaneFiles: ticket.controlPlaneFiles.map((file) => file.name),
      });
    }
  } finally {
    await node.close();
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as NodeSpec).catch((error: unknown) => {
  print({
    event: 'failed',
    code: error instanceof ConstellationError ? error.code : 'INTERNAL',
    status: error instanceof JoinRejectedError ? error.status : undefined,
    message: error instanceof Error ? error.message : String(error),
  });
  process.exitCode = 1;
});
