// Join protocol end to end in one process: real gRPC over attested TLS, real swtpms for service and node.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { deriveDiskKey, deriveMeasurementSecret } from '../../../lib/crypto/index.js';
import { joinCluster } from '../../../lib/join/join-client.js';
import { openSealed } from '../../../lib/atls/index.js';
import { RejoinTicket } from '../../../proto/gen/join.js';
import { manualNode } from './manual-node.js';
import { NO_EVENT_LOG, nodeTpm, startServiceFixture } from './service-fixture.js';

t.test('a matching worker node gets a ticket with the documented disk key and no control-plane files', async (t) => {
  const service = await startServiceFixture(t);
  const tpm = await nodeTpm(t);
  const diskUuid = randomUUID();
  const result = await joinCluster({
    tpm,
    address: service.address,
    verifyService: service.verifyService,
    diskUuid,
    nodeName: 'worker-0',
    eventLogPath: NO_EVENT_LOG,
    retry: { attempts: 1, baseMs: 0, maxMs: 0 },
  });
  t.equal(result.role, 'worker');
  t.same(result.ticket.stateDiskKey, deriveDiskKey(service.masterSecret, diskUuid));
  t.same(result.ticket.measurementSecret, deriveMeasurementSecret(service.masterSecret));
  t.same(result.ticket.controlPlaneFiles, []);
  t.match(service.audit.at(-1), { decision: 'admit', method: 'IssueJoinTicket', role: 'worker', policyVersion: '1' });
});

t.test('IssueRejoinTicket: the same checks, only the disk key and the measurement secret', async (t) => {
  const service = await startServiceFixture(t);
  const node = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  t.teardown(() => node.close());
  const diskUuid = randomUUID();
  const challenge = await node.challenge();
  const { request, privateKey, digest } = await node.request(challenge, await node.activate(challenge), { diskUuid });
  const response = await node.rejoin(request);
  const ticket = RejoinTicket.decode(openSealed(privateKey, response.sealedTicket, digest));
  t.same(ticket.stateDiskKey, deriveDiskKey(service.masterSecret, diskUuid));
  t.same(ticket.measurementSecret, deriveMeasurementSecret(service.masterSecret));
  t.match(service.audit.at(-1), { decision: 'admit', method: 'IssueRejoinTicket', role: 'worker' });
  await t.rejects(node.rejoin(request), { code: 'JOIN_REJECTED', status: 16 }, 'a rejoin request replays no better');
});
