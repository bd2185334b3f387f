// The node client against the contract hosts (agents/kms startKeyService + agents/joinservice
// startJoinService, as a control-plane Bootstrapper runs them) on a booted TPM whose PCR 15 holds the
// cluster measurement: a control-plane node joins (role and files by EK fingerprint), a worker rejoins with
// the same disk key, and nothing but the mutual check (no AK name) is configured on the node.
import t from 'tap';
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { Tpm } from '../../../native/tpm.js';
import { createLogger } from '../../../lib/log/index.js';
import { localImage, simulateBoot } from '../../../lib/boot/index.js';
import { keyFingerprint } from '../../../lib/attestation/verify/ak-trust.js';
import {
  adminSigningKey,
  clusterMeasurementDigest,
  deriveClusterId,
  deriveDiskKey,
  deriveMeasurementSecret,
  generateMasterSecret,
} from '../../../lib/crypto/index.js';
import { joinCluster } from '../../../lib/join/join-client.js';
import { rejoinCluster } from '../../../lib/join/rejoin-client.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import { startKeyService } from '../../../agents/kms/key-service-host.js';
import { startJoinService } from '../../../agents/joinservice/join-service-host.js';
import { parseJoinPolicy } from '../../../agents/joinservice/join-policy.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';
import { bootedNode, NO_EVENT_LOG } from './node-cluster-fixture.js';

const logger = createLogger({ name: 'test', transport: 'stderr-json', write: () => undefined });

t.test('join as control plane and rejoin through the in-process hosts on a booted, initialised TPM', async (t) => {
  // The CA makes its keys on the first EK provisioning: its PEMs exist only after a swtpm started.
  const tpm = await Tpm.open((await swtpmFor(t, { withEkCert: true })).tcti);
  const ca = await testCa();
  const ekTrust = { ekRoots: [await ca.rootPem()], ekIntermediates: [await ca.intermediatePem()] };
  t.teardown(() => tpm.close());
  await simulateBoot(tpm, localImage());
  const masterSecret = generateMasterSecret();
  const measurementSalt = randomBytes(32);
  const clusterId = deriveClusterId(deriveMeasurementSecret(masterSecret), measurementSalt);
  await tpm.pcrExtend(15, { sha256: clusterMeasurementDigest(clusterId) });

  const node = await bootedNode(t);
  const nodeEk = await node.tpm.readEkCertificate('rsa');
  if (nodeEk === undefined) throw new Error('test swtpm without an EK certificate');
  const nodeFingerprint = keyFingerprint(new X509Certificate(nodeEk).publicKey);

  const kms = await startKeyService({ masterSecret, listen: { host: '127.0.0.1', port: 0 }, logger });
  t.teardown(() => kms.close());
  const service = await startJoinService({
    tpm,
    logger,
    listen: { host: '127.0.0.1', port: 0 },
    kmsAddress: kms.address,
    policy: parseJoinPolicy({ controlPlaneEks: [nodeFingerprint] }, 1n),
    adminPublicKey: adminSigningKey(masterSecret).publicKey,
    ekTrust,
    cluster: {
      measurementSalt,
      apiServerEndpoint: '127.42.0.11:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
      controlPlane: { files: [{ name: 'pki/ca.key', data: Buffer.from('cluster CA key (test)') }] },
    },
    eventLogPath: NO_EVENT_LOG,
    audit: () => undefined,
  });
  t.teardown(() => service.close(1000));

  const verifyService = joinServiceCheck({ ...ekTrust, ownPcrs: node.ownPcrs });
  const diskUuid = randomUUID();
  const common = {
    tpm: node.tpm,
    addresses: [service.address],
    verifyService,
    diskUuid,
    nodeName: 'control-plane-1',
    eventLogPath: NO_EVENT_LOG,
    retry: { attempts: 1, baseMs: 0, maxMs: 0 },
  };
  const joined = await joinCluster(common);
  t.equal(joined.role, 'control-plane');
  t.same(Buffer.from(joined.ticket.clusterId), clusterId);
  t.same(
    joined.ticket.controlPlaneFiles.map((file) => file.name),
    ['pki/ca.key'],
  );
  const rejoined = await rejoinCluster({ ...common, measurementSalt: Buffer.from(joined.ticket.measurementSalt) });
  t.same(rejoined.stateDiskKey, deriveDiskKey(masterSecret, diskUuid), 'the same disk key as at join');
  t.same(rejoined.stateDiskKey, Buffer.from(joined.ticket.stateDiskKey));
  t.same(rejoined.clusterId, clusterId);
});
