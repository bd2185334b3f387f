// The KMS and the JoinService hosted in this one process (as the Bootstrapper hosts them on a control-plane
// node), sharing a Tpm the test owns; a node with its own swtpm joins through them over real sockets.
import t from 'tap';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Tpm } from '../../../native/tpm.js';
import { InputError } from '../../../lib/errors.js';
import { createLogger } from '../../../lib/log/index.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import {
  adminSigningKey,
  clusterMeasurementDigest,
  deriveClusterId,
  deriveDiskKey,
  deriveMeasurementSecret,
  generateMasterSecret,
  signPolicyUpdate,
} from '../../../lib/crypto/index.js';
import { joinCluster } from '../../../lib/join/join-client.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import { startKeyService, KMS_LISTEN_NOT_LOOPBACK } from '../../../agents/kms/key-service-host.js';
import { startJoinService } from '../../../agents/joinservice/join-service-host.js';
import { parseJoinPolicy } from '../../../agents/joinservice/join-policy.js';
import type { AuditEntry } from '../../../agents/joinservice/audit.js';
import { NO_EVENT_LOG, nodeTpm } from './service-fixture.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

const logLines: string[] = [];
const logger = createLogger({ name: 'test', transport: 'stderr-json', write: (line) => logLines.push(line) });

t.test('a node joins through an in-process KMS + JoinService sharing one Tpm, which stays open', async (t) => {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const ca = await testCa();
  const ekTrust = { ekRoots: [await ca.rootPem()], ekIntermediates: [await ca.intermediatePem()] };
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const masterSecret = generateMasterSecret();
  const kms = await startKeyService({ masterSecret, listen: { host: '127.0.0.1', port: 0 }, logger });
  t.teardown(() => kms.close());
  const admin = adminSigningKey(masterSecret);
  const audit: AuditEntry[] = [];
  const service = await startJoinService({
    tpm,
    logger,
    listen: { host: '127.0.0.1', port: 0 },
    kmsAddress: kms.address,
    policy: parseJoinPolicy({}, 1n),
    adminPublicKey: admin.publicKey,
    ekTrust,
    cluster: {
      measurementSalt: randomBytes(32),
      apiServerEndpoint: '127.42.0.11:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
      controlPlane: { files: [] },
    },
    eventLogPath: NO_EVENT_LOG,
    audit: (entry) => audit.push(entry),
  });
  t.teardown(() => service.close(1000));
  t.match(service.address, /^127\.0\.0\.1:\d+$/);
  t.match(service.akName, /^000b[0-9a-f]{64}$/, 'SHA-256 AK name');

  const node = await nodeTpm(t);
  const diskUuid = randomUUID();
  const joined = await joinCluster({
    tpm: node,
    address: service.address,
    verifyService: joinServiceCheck({ policy: parsePolicy({}), ...ekTrust, serviceAkNames: [service.akName] }),
    diskUuid,
    nodeName: 'worker-0',
    eventLogPath: NO_EVENT_LOG,
    retry: { attempts: 1, baseMs: 0, maxMs: 0 },
  });
  t.equal(joined.role, 'worker');
  t.same(joined.ticket.stateDiskKey, deriveDiskKey(masterSecret, diskUuid), 'disk key from the in-process KMS');
  t.same(joined.ticket.measurementSecret, deriveMeasurementSecret(masterSecret));
  t.match(audit.at(-1), { decision: 'admit', method: 'IssueJoinTicket', role: 'worker', policyVersion: '1' });

  const policyJson = Buffer.from(JSON.stringify({ controlPlaneEks: [] }));
  const next = service.updatePolicy({
    policyJson,
    version: 2n,
    signature: signPolicyUpdate(admin.privateKey, policyJson, 2n),
  });
  t.equal(next.version, 2n);
  t.equal(service.policy().version, 2n, 'the host swaps the policy like the RPC does');
  t.throws(
    () =>
      service.updatePolicy({
        policyJson,
        version: 3n,
        signature: signPolicyUpdate(generateKeyPairSync('ed25519').privateKey, policyJson, 3n),
      }),
    { code: 'POLICY_UPDATE_SIGNATURE_INVALID' },
    'an update not signed by the admin key is refused',
  );

  await service.close(1000);
  await kms.close();
  const pcrs = await tpm.pcrRead({ sha256: [0] });
  t.equal(pcrs.values.sha256?.[0]?.length, 32, 'the shared Tpm is still open after the JoinService closed');
  t.notOk(
    logLines.some((line) => line.includes(masterSecret.key.toString('hex'))),
    'no master secret in the logs',
  );
});

t.test(
  'mutual check: the node proves the hosted service AK by ActivateCredential and checks its cluster',
  async (t) => {
    const swtpm = await swtpmFor(t, { withEkCert: true });
    const ca = await testCa();
    const ekTrust = { ekRoots: [await ca.rootPem()], ekIntermediates: [await ca.intermediatePem()] };
    const tpm = await Tpm.open(swtpm.tcti);
    t.teardown(() => tpm.close());
    const masterSecret = generateMasterSecret();
    const measurementSalt = randomBytes(32);
    // An initialised control-plane node: PCR 15 holds its cluster's measurement.
    const clusterId = deriveClusterId(deriveMeasurementSecret(masterSecret), measurementSalt);
    await tpm.pcrExtend(15, { sha256: clusterMeasurementDigest(clusterId) });
    const kms = await startKeyService({ masterSecret, listen: { host: '127.0.0.1', port: 0 }, logger });
    t.teardown(() => kms.close());
    const service = await startJoinService({
      tpm,
      logger,
      listen: { host: '127.0.0.1', port: 0 },
      kmsAddress: kms.address,
      policy: parseJoinPolicy({}, 1n),
      adminPublicKey: adminSigningKey(masterSecret).publicKey,
      ekTrust,
      cluster: {
        measurementSalt,
        apiServerEndpoint: '127.42.0.11:6443',
        token: 'abcdef.0123456789abcdef',
        discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
        controlPlane: { files: [] },
      },
      eventLogPath: NO_EVENT_LOG,
      audit: () => undefined,
    });
    t.teardown(() => service.close(1000));
    const node = await nodeTpm(t);
    const ownPcrs = (await node.pcrRead({ sha256: [4, 8, 9, 11] })).values.sha256 ?? {};
    const diskUuid = randomUUID();
    const joined = await joinCluster({
      tpm: node,
      address: service.address,
      verifyService: joinServiceCheck({ ...ekTrust, ownPcrs }),
      diskUuid,
      nodeName: 'worker-1',
      eventLogPath: NO_EVENT_LOG,
      retry: { attempts: 1, baseMs: 0, maxMs: 0 },
    });
    t.same(joined.ticket.clusterId, clusterId, 'the ticket of the cluster the service measured');
    t.same(joined.ticket.stateDiskKey, deriveDiskKey(masterSecret, diskUuid));
  },
);

t.test('startKeyService refuses a non-loopback address (the KeyService has no TLS)', async (t) => {
  const error = await startKeyService({
    masterSecret: generateMasterSecret(),
    listen: { host: '0.0.0.0', port: 0 },
    logger,
  }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.type(error, InputError);
  t.equal((error as InputError).code, KMS_LISTEN_NOT_LOOPBACK);
  t.match((error as InputError).message, /expected a loopback address .* found "0\.0\.0\.0"/);
});
