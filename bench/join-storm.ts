// Join storm: N node processes (each with its own swtpm) loop joins with fresh evidence against a real KMS +
// JoinService; prints joins/s, p50 and p99 per join (node-side, TPM time included) and the service's own CPU
// time per join (from /proc: JoinService process, and JoinService + KMS processes; the nodes' TPM time is
// excluded), next to plain mutual-TLS gRPC unary calls measured in the same run. Two storms on the same
// service: nodes dialling and attesting the service for every join ("fresh channel", what lib/join does per
// attempt) and nodes keeping one attested channel for all their joins ("reused channel", what a long-lived
// client does; every join still gets a fresh challenge, activation, quote and node key).
// Run: node --import tsx bench/join-storm.ts [nodes=4] [joins per node=10]
// `verify [joins]` prints only the verification-only figure. JOIN_STORM_PROFILE_DIR=<dir> runs the JoinService
// under --cpu-prof (profiles written there on exit).
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { credentials, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { ChallengeBook, createAttestedIdentity, sealTo } from '../lib/atls/index.js';
import { issueQemuVtpmEvidence } from '../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { deriveDataKey, generateMasterSecret } from '../lib/crypto/index.js';
import { joinRequestDigest } from '../lib/join/request-digest.js';
import { Tpm } from '../native/tpm.js';
import { createJoinProtocol } from '../agents/joinservice/join-protocol.js';
import { parseJoinPolicy } from '../agents/joinservice/join-policy.js';
import { PolicyStore } from '../agents/joinservice/policy-store.js';
import { swtpmFor, testCa } from '../test/helpers/swtpm.js';
import { bindServer, shutdownServer } from '../lib/rpc/index.js';
import { KeyServiceClient, KeyServiceService, type GetDataKeyResponse } from '../proto/gen/kms.js';
import { spawnNode, startCluster, startJoinService } from '../test/integration/join/agent-processes.js';

// `verify [joins]` runs only the in-process verification figure (e.g. under node --cpu-prof).
const verifyOnly = process.argv[2] === 'verify';
const nodes = verifyOnly ? 1 : Number(process.argv[2] ?? 4);
const joinsPerNode = Number(process.argv[3] ?? 10);
const cleanups: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => cleanups.push(fn) };

/** utime + stime of a process in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface StormResult {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** JoinService process CPU per join. */
  readonly cpuPerJoin: number;
  /** JoinService + KMS processes CPU per join (in a Bootstrapper both run in one process). */
  readonly cpuWithKmsPerJoin: number;
}

interface StormTarget {
  readonly address: string;
  readonly akName: string;
  readonly caDir: string;
  readonly servicePid: number;
  readonly kmsPid: number;
}

async function startTarget(): Promise<StormTarget> {
  const cluster = await startCluster(t);
  const profileDir = process.env.JOIN_STORM_PROFILE_DIR;
  const service = await startJoinService(
    t,
    cluster,
    '127.0.0.1:0',
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  const servicePid = service.agent.child.pid;
  const kmsPid = cluster.kms.child.pid;
  if (servicePid === undefined || kmsPid === undefined) throw new Error('an agent process has no pid');
  return { address: service.address, akName: service.akName, caDir: cluster.ca.dir, servicePid, kmsPid };
}

async function joinStorm(target: StormTarget, channel: 'fresh' | 'reuse'): Promise<StormResult> {
  const specs = Array.from({ length: nodes }, (_, index) => ({
    address: target.address,
    caDir: target.caDir,
    serviceAkName: target.akName,
    diskUuid: randomUUID(),
    nodeName: `bench-${index}`,
    joins: joinsPerNode,
    channel,
  }));
  const procs = specs.map((spec) => spawnNode(t, spec));
  await Promise.all(procs.map((p) => p.line((v) => v.event === 'ready')));
  const cpuBefore = cpuMs(target.servicePid);
  const kmsBefore = cpuMs(target.kmsPid);
  const started = performance.now();
  const ends = await Promise.all(
    procs.map((p) => p.line<{ event: string }>((v) => v.event === 'done' || v.event === 'failed')),
  );
  const wall = performance.now() - started;
  const cpu = cpuMs(target.servicePid) - cpuBefore;
  const kmsCpu = cpuMs(target.kmsPid) - kmsBefore;
  if (ends.some((end) => end.event !== 'done')) throw new Error(`a node failed to join: ${JSON.stringify(ends)}`);
  const latencies = procs
    .flatMap((p) => p.stdoutLines as { event: string; ms: number }[])
    .filter((v) => v.event === 'joined')
    .map((v) => v.ms)
    .sort((a, b) => a - b);
  return {
    perSecond: (latencies.length * 1000) / wall,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerJoin: cpu / latencies.length,
    cpuWithKmsPerJoin: (cpu + kmsCpu) / latencies.length,
  };
}

/**
 * Verification only: the JoinService protocol in this process (no gRPC, no TLS, no Attest quote by the
 * service's TPM, data keys derived locally instead of KMS calls), driven sequentially by one node swtpm. CPU of
 * GetChallenge (EK chain, MakeCredential) and IssueJoinTicket (EK chain, challenge, verifyDocument, policy,
 * ticket, sealing) per join; the node's TPM work happens between the timed calls.
 */
async function verificationOnly(joins: number): Promise<{ challengeMs: number; ticketMs: number }> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  // The CA makes its keys on first provisioning, so its PEMs exist only after a swtpm got an EK certificate.
  const ca = await testCa();
  const masterSecret = generateMasterSecret();
  const protocol = createJoinProtocol({
    policies: new PolicyStore(parseJoinPolicy({}, 1n), generateKeyPairSync('ed25519').publicKey),
    challenges: new ChallengeBook({ key: randomBytes(32), ttlMs: 60_000 }),
    seal: sealTo,
    keys: { getDataKey: (id, length) => Promise.resolve(deriveDataKey(masterSecret, id, length)) },
    cluster: {
      measurementSalt: randomBytes(32),
      apiServerEndpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
      controlPlane: { files: [] },
    },
    ekTrust: { ekRoots: [await ca.rootPem()], ekIntermediates: [await ca.intermediatePem()] },
    audit: () => undefined,
    now: () => new Date(),
  });
  const tpm = await Tpm.open(swtpm.tcti);
  cleanups.push(() => tpm.close());
  const ek = await tpm.createEk('rsa');
  const ak = await tpm.createAk('ecc');
  const ekCertificate = (await tpm.readEkCertificate('rsa')) ?? Buffer.alloc(0);
  let challengeMicros = 0;
  let ticketMicros = 0;
  for (let i = 0; i < joins; i++) {
    let before = process.cpuUsage();
    const challenge = await protocol.getChallenge({ ekCertificate, akPublic: ak.public, variant: 'qemu-vtpm' });
    let used = process.cpuUsage(before);
    challengeMicros += used.user + used.system;
    const secret = await tpm.activateCredential(ak, ek, challenge.credentialBlob, challenge.encryptedSecret);
    const fields = {
      nodePublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'der',
      }),
      diskUuid: randomUUID(),
      nodeName: `verify-${i}`,
      certificateRequest: Buffer.alloc(0),
    };
    const { document } = await issueQemuVtpmEvidence({
      tpm,
      nonce: secret,
      binding: joinRequestDigest(fields),
      ak,
      eventLogPath: '/nonexistent/binary_bios_measurements',
    });
    const request = { challengeId: challenge.challengeId, activatedSecret: secret, evidence: document, ...fields };
    before = process.cpuUsage();
    await protocol.issueJoinTicket(request);
    used = process.cpuUsage(before);
    ticketMicros += used.user + used.system;
  }
  return { challengeMs: challengeMicros / 1000 / joins, ticketMs: ticketMicros / 1000 / joins };
}

/** A self-signed client certificate (clientAuth): the attested identity is server-only by design. */
async function clientIdentity(): Promise<{ keyPem: string; certPem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=bench-client',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  });
  return { keyPem: keyPem as string, certPem: cert.toString('pem') };
}

/** The same number of concurrent loops of plain mutual-TLS unary calls (KeyService shape, trivial handler). */
async function mtlsBaseline(
  calls: number,
  channel: 'fresh' | 'reuse',
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const serverId = await createAttestedIdentity();
  const clientId = await clientIdentity();
  const server = new Server();
  server.addService(KeyServiceService, {
    getDataKey: (_call: unknown, cb: (e: null, r: GetDataKeyResponse) => void) => {
      cb(null, { dataKey: Buffer.alloc(32) });
    },
  });
  const port = await bindServer(
    server,
    '127.0.0.1:0',
    ServerCredentials.createSsl(
      Buffer.from(clientId.certPem),
      [{ private_key: Buffer.from(serverId.keyPem), cert_chain: Buffer.from(serverId.certPem) }],
      true,
    ),
  );
  const latencies: number[] = [];
  const started = performance.now();
  const dial = (): KeyServiceClient =>
    new KeyServiceClient(
      `127.0.0.1:${port}`,
      credentials.createSsl(Buffer.from(serverId.certPem), Buffer.from(clientId.keyPem), Buffer.from(clientId.certPem)),
    );
  await Promise.all(
    Array.from({ length: nodes }, async () => {
      // Fresh: a new channel (TLS handshake) per call, as each fresh-channel join dials afresh.
      const shared = channel === 'reuse' ? dial() : undefined;
      for (let i = 0; i < calls / nodes; i++) {
        const client = shared ?? dial();
        const begin = performance.now();
        await new Promise<void>((resolve, reject) =>
          client.getDataKey({ dataKeyId: 'x', length: 32 }, (error: ServiceError | null) => {
            if (error) reject(error);
            else resolve();
          }),
        );
        latencies.push(performance.now() - begin);
        if (shared === undefined) client.close();
      }
      shared?.close();
    }),
  );
  const wall = performance.now() - started;
  await shutdownServer(server, 1000);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: (latencies.length * 1000) / wall,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const verifyLine = (verify: { challengeMs: number; ticketMs: number }): string => {
  const ms = verify.challengeMs + verify.ticketMs;
  return `verification only (in process, no TLS, no Attest quote, local data keys): GetChallenge ${verify.challengeMs.toFixed(2)} ms + IssueJoinTicket ${verify.ticketMs.toFixed(2)} ms = ${ms.toFixed(2)} ms -> ${(1000 / ms).toFixed(0)} joins/s per core`;
};

async function storm(): Promise<void> {
  const target = await startTarget();
  // Warm up (JIT, first KMS call, EK chain cache of the verifier): not measured.
  await joinStorm(target, 'reuse');
  if (process.env.JOIN_STORM_ONLY === 'reuse') {
    // For profiling the service under the reused-channel storm alone.
    const reused = await joinStorm(target, 'reuse');
    console.log(`reused channel: JoinService CPU ${reused.cpuPerJoin.toFixed(2)} ms/join`);
    return;
  }
  const fresh = await joinStorm(target, 'fresh');
  const reused = await joinStorm(target, 'reuse');
  const mtlsFresh = await mtlsBaseline(nodes * joinsPerNode, 'fresh');
  const mtlsReused = await mtlsBaseline(nodes * joinsPerNode * 4, 'reuse');
  const verify = await verificationOnly(nodes * joinsPerNode);
  const row = (name: string, r: { perSecond: number; p50: number; p99: number }): string =>
    `${name.padEnd(50)} ${r.perSecond.toFixed(1).padStart(8)} /s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms`;
  const cpuLine = (name: string, r: StormResult): string =>
    `${name}: JoinService CPU ${r.cpuPerJoin.toFixed(2)} ms/join -> ${(1000 / r.cpuPerJoin).toFixed(0)} joins/s per core; with the KMS ${r.cpuWithKmsPerJoin.toFixed(2)} ms/join -> ${(1000 / r.cpuWithKmsPerJoin).toFixed(0)} joins/s per core (target >= 300)`;
  console.log(`${nodes} node processes x ${joinsPerNode} joins each (challenge, activation, quote, ticket per join)`);
  console.log(row('verified joins, fresh channel (aTLS attest per join)', fresh));
  console.log(row('verified joins, reused attested channel', reused));
  console.log(row('mutual-TLS gRPC unary call, fresh channel', mtlsFresh));
  console.log(row('mutual-TLS gRPC unary call, reused channel', mtlsReused));
  console.log(
    `ratio join/mTLS p50: fresh ${(fresh.p50 / mtlsFresh.p50).toFixed(1)}x, reused ${(reused.p50 / mtlsReused.p50).toFixed(1)}x (node TPM time included in joins)`,
  );
  console.log(cpuLine('fresh channel', fresh));
  console.log(cpuLine('reused channel', reused));
  console.log(verifyLine(verify));
}

try {
  if (verifyOnly) console.log(verifyLine(await verificationOnly(joinsPerNode)));
  else await storm();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
