// The node's side of mutual attestation (DESIGN §2.2) with real swtpms, real TLS and gRPC: the node joins
// only through a JoinService that runs its own measured image, belongs to an initialised cluster, proves its
// AK by activation and has an EK from the node's trusted manufacturer; and only keeps a ticket whose cluster
// is the service's own (PCR 15). Rejoin, several addresses and abort.
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { ConstellationError, PolicyError, VerificationError } from '../../../lib/errors.js';
import { AK_ACTIVATION_FAILED, ATLS_SERVER_NOT_ATTESTED } from '../../../lib/atls/index.js';
import { deriveDiskKey, deriveMeasurementSecret } from '../../../lib/crypto/index.js';
import { joinCluster, type JoinClusterOptions } from '../../../lib/join/join-client.js';
import { rejoinCluster } from '../../../lib/join/rejoin-client.js';
import { JOIN_SERVICE_WRONG_CLUSTER } from '../../../lib/join/cluster-check.js';
import { JOIN_SERVICES_FAILED, JoinServicesFailedError } from '../../../lib/join/join-retry.js';
import {
  joinServiceCheck,
  JOIN_SERVICE_IMAGE_MISMATCH,
  JOIN_SERVICE_NOT_INITIALIZED,
} from '../../../lib/join/service-check.js';
import { rejectsCode } from '../../unit/attestation/verify/expect-error.js';
import {
  bootedNode,
  foreignCa,
  NO_EVENT_LOG,
  otherTpmActivator,
  startClusterService,
  type BootedNode,
} from './node-cluster-fixture.js';

const once = { attempts: 1, baseMs: 0, maxMs: 0 };

function joinOptions(node: BootedNode, addresses: readonly string[], diskUuid = randomUUID()): JoinClusterOptions {
  return {
    tpm: node.tpm,
    addresses,
    verifyService: joinServiceCheck({
      ekRoots: node.ekRoots,
      ekIntermediates: node.ekIntermediates,
      ownPcrs: node.ownPcrs,
    }),
    diskUuid,
    nodeName: 'worker-0',
    eventLogPath: NO_EVENT_LOG,
    retry: once,
  };
}

/** The refusal of connectAttested and the check's own error under it. */
async function refusedByCheck(
  t: Test,
  run: () => Promise<unknown>,
  errorClass: typeof VerificationError | typeof PolicyError,
  code: string,
): Promise<void> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught as ConstellationError,
  );
  t.ok(error instanceof VerificationError, `${error?.name}: ${error?.message}`);
  t.equal(error?.code, ATLS_SERVER_NOT_ATTESTED);
  const cause = error?.cause as ConstellationError | undefined;
  t.ok(cause instanceof errorClass, `${errorClass.name} expected, found ${cause?.name}`);
  t.equal(cause?.code, code, cause?.message ?? 'no cause');
}

t.test('a node joins a service of its image and cluster; the AK is proven, not pinned', async (t) => {
  const service = await startClusterService(t);
  const node = await bootedNode(t);
  const diskUuid = randomUUID();
  const result = await joinCluster(joinOptions(node, [service.address], diskUuid));
  t.equal(result.role, 'worker');
  t.same(Buffer.from(result.ticket.clusterId), service.clusterId);
  t.same(Buffer.from(result.ticket.stateDiskKey), deriveDiskKey(service.masterSecret, diskUuid));
  t.match(service.audit.at(-1), { decision: 'admit', method: 'IssueJoinTicket' });
});

t.test('a service booted with another kernel command line is refused before the node sends anything', async (t) => {
  const service = await startClusterService(t, { kernelCommandLine: 'console=ttyS0 rootfstype=evil' });
  const node = await bootedNode(t);
  await refusedByCheck(
    t,
    () => joinCluster(joinOptions(node, [service.address])),
    PolicyError,
    JOIN_SERVICE_IMAGE_MISMATCH,
  );
  t.same(service.audit, [], 'no GetChallenge reached the service');
});

t.test('a service with PCR 15 = 0 belongs to no cluster: refused (and retried: it may be initialising)', async (t) => {
  const service = await startClusterService(t, { pcr15: 'zero' });
  const node = await bootedNode(t);
  let attempts = 0;
  await refusedByCheck(
    t,
    () =>
      joinCluster({
        ...joinOptions(node, [service.address]),
        retry: { attempts: 2, baseMs: 0, maxMs: 0 },
        onAttempt: (attempt) => {
          attempts = attempt;
        },
      }),
    PolicyError,
    JOIN_SERVICE_NOT_INITIALIZED,
  );
  t.equal(attempts, 2);
  t.same(service.audit, []);
});

t.test(
  'a service whose PCR 15 is another cluster’s: the ticket is discarded (JOIN_SERVICE_WRONG_CLUSTER)',
  async (t) => {
    const elsewhere = await startClusterService(t);
    const service = await startClusterService(t, { pcr15: elsewhere.clusterId });
    const node = await bootedNode(t);
    await rejectsCode(
      t,
      () => joinCluster(joinOptions(node, [service.address])),
      VerificationError,
      JOIN_SERVICE_WRONG_CLUSTER,
    );
    t.match(service.audit.at(-1), { decision: 'admit' }, 'the service issued; the node refused to use it');
  },
);

t.test('a relaying service (quotes with its TPM, activates with another) fails the AK proof', async (t) => {
  const service = await startClusterService(t, { activate: await otherTpmActivator(t) });
  const node = await bootedNode(t);
  await refusedByCheck(
    t,
    () => joinCluster(joinOptions(node, [service.address])),
    VerificationError,
    AK_ACTIVATION_FAILED,
  );
  t.same(service.audit, []);
});

t.test('a service whose EK does not chain to the node’s roots is refused', async (t) => {
  const service = await startClusterService(t, { ca: await foreignCa(t) });
  const node = await bootedNode(t);
  await refusedByCheck(
    t,
    () => joinCluster(joinOptions(node, [service.address])),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
});

t.test('several addresses: unreachable and foreign services are skipped; all bad → JOIN_SERVICES_FAILED', async (t) => {
  const elsewhere = await startClusterService(t);
  const foreign = await startClusterService(t, { pcr15: elsewhere.clusterId });
  const good = await startClusterService(t);
  const node = await bootedNode(t);
  const result = await joinCluster(joinOptions(node, ['127.0.0.1:1', foreign.address, good.address]));
  t.same(Buffer.from(result.ticket.clusterId), good.clusterId);
  const error = await joinCluster(joinOptions(node, ['127.0.0.1:1', foreign.address])).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof JoinServicesFailedError);
  t.equal((error as ConstellationError).code, JOIN_SERVICES_FAILED);
  t.match((error as ConstellationError).message, /127\.0\.0\.1:1: ATLS_UNREACHABLE, .*: JOIN_SERVICE_WRONG_CLUSTER/);
});

t.test('rejoin: same disk key from a service of the stored cluster; another salt → wrong cluster', async (t) => {
  const service = await startClusterService(t);
  const node = await bootedNode(t);
  const diskUuid = randomUUID();
  const verifyService = joinServiceCheck({
    ekRoots: node.ekRoots,
    ekIntermediates: node.ekIntermediates,
    ownPcrs: node.ownPcrs,
  });
  const common = {
    tpm: node.tpm,
    verifyService,
    diskUuid,
    nodeName: 'worker-0',
    eventLogPath: NO_EVENT_LOG,
    retry: once,
  };
  const rejoined = await rejoinCluster({
    ...common,
    address: service.address,
    measurementSalt: service.measurementSalt,
  });
  t.same(rejoined.stateDiskKey, deriveDiskKey(service.masterSecret, diskUuid));
  t.same(rejoined.measurementSecret, deriveMeasurementSecret(service.masterSecret));
  t.same(rejoined.clusterId, service.clusterId);
  t.match(service.audit.at(-1), { decision: 'admit', method: 'IssueRejoinTicket' });
  const elsewhere = await startClusterService(t);
  await rejectsCode(
    t,
    () => rejoinCluster({ ...common, address: service.address, measurementSalt: elsewhere.measurementSalt }),
    VerificationError,
    JOIN_SERVICE_WRONG_CLUSTER,
  );
});

t.test('an aborted join stops without contacting anyone', async (t) => {
  const service = await startClusterService(t);
  const node = await bootedNode(t);
  const controller = new AbortController();
  controller.abort();
  await rejectsCode(
    t,
    () => joinCluster({ ...joinOptions(node, [service.address]), signal: controller.signal }),
    ConstellationError,
    'ABORTED',
  );
  t.same(service.audit, []);
});
