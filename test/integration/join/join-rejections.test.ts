// Every rejection of the join protocol with its precise gRPC status and audit line (in-process service,
// real sockets, real swtpms). Process-level behaviour (restarts, storms) is in join-processes.test.ts.
import t, { type Test } from 'tap';
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { VerificationError } from '../../../lib/errors.js';
import { keyFingerprint } from '../../../lib/attestation/verify/ak-trust.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { signPolicyUpdate } from '../../../lib/crypto/index.js';
import { openSealed } from '../../../lib/atls/index.js';
import { joinCluster } from '../../../lib/join/join-client.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import { JoinRejectedError } from '../../../lib/join/unary-call.js';
import { IssueJoinTicketRequest, JoinTicket } from '../../../proto/gen/join.js';
import { JOIN_BACKSTOP_MESSAGE_BYTES, JOIN_MAX_MESSAGE_BYTES } from '../../../lib/rpc/index.js';
import { GET_CHALLENGE_MAX_BYTES } from '../../../agents/joinservice/server.js';
import { manualNode } from './manual-node.js';
import { NO_EVENT_LOG, nodeTpm, startServiceFixture } from './service-fixture.js';

const ZERO = '00'.repeat(32);
const once = { attempts: 1, baseMs: 0, maxMs: 0 };

function rejected(t: Test, error: unknown, code: status, details: RegExp): void {
  t.type(error, JoinRejectedError);
  const rejection = error as JoinRejectedError;
  t.equal(rejection.code, 'JOIN_REJECTED');
  t.equal(rejection.status, code, `status ${status[code]}`);
  t.match(rejection.message, details);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got success');
}

t.test('PCR off policy: PERMISSION_DENIED naming the PCR, expected and actual; audited', async (t) => {
  const service = await startServiceFixture(t, {
    attestation: { tpm: { pcrs: { sha256: { 4: { expected: [ZERO] } } } } },
  });
  const tpm = await nodeTpm(t);
  await tpm.pcrExtend(4, { sha256: randomBytes(32) });
  const error = await failure(
    joinCluster({
      tpm,
      address: service.address,
      verifyService: service.verifyService,
      diskUuid: randomUUID(),
      nodeName: 'n',
      eventLogPath: NO_EVENT_LOG,
      retry: once,
    }),
  );
  rejected(t, error, status.PERMISSION_DENIED, /POLICY_VIOLATION.*PCR\[4\] \(sha256\) expected 0000.*got [0-9a-f]{4}/s);
  t.match(service.audit.at(-1), {
    decision: 'reject',
    method: 'IssueJoinTicket',
    check: 'policy',
    reason: /PCR\[4\]/,
    policyVersion: '1',
  });
  t.type(service.audit.at(-1)?.node, 'string');
});

t.test('replayed challenge: the second use is UNAUTHENTICATED CHALLENGE_REPLAYED', async (t) => {
  const service = await startServiceFixture(t);
  const node = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  t.teardown(() => node.close());
  const challenge = await node.challenge();
  const { request, privateKey, digest } = await node.request(challenge, await node.activate(challenge));
  const response = await node.issue(request);
  t.ok(JoinTicket.decode(openSealed(privateKey, response.sealedTicket, digest)).stateDiskKey.length === 32);
  rejected(t, await failure(node.issue(request)), status.UNAUTHENTICATED, /CHALLENGE_REPLAYED/);
  t.match(service.audit.at(-1), { decision: 'reject', check: 'challenge', reason: /^CHALLENGE_REPLAYED/ });
});

t.test(
  'relay: evidence bound to another node key is UNAUTHENTICATED; the ticket never reaches the relay',
  async (t) => {
    const service = await startServiceFixture(t);
    const node = await manualNode(await nodeTpm(t), service.address, service.verifyService);
    t.teardown(() => node.close());
    const challenge = await node.challenge();
    const { request } = await node.request(challenge, await node.activate(challenge));
    const relayKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const relayed = { ...request, nodePublicKey: relayKey.export({ type: 'spki', format: 'der' }) };
    rejected(t, await failure(node.issue(relayed)), status.UNAUTHENTICATED, /QUOTE_|QUALIFYING|binding/i);
    t.match(service.audit.at(-1), { decision: 'reject', check: 'evidence' });
  },
);

t.test('AK not proven: an AK of another TPM than the EK cannot redeem the challenge', async (t) => {
  const service = await startServiceFixture(t);
  const victim = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  const attacker = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  t.teardown(async () => {
    await victim.close();
    await attacker.close();
  });
  // The attacker presents the victim's EK certificate with its own AK: the credential is encrypted to the
  // victim's EK, so only the victim's TPM can recover the secret; the attacker must guess.
  const challenge = await callWithEk(attacker, victim.ekCertificate);
  const { request } = await attacker.request(challenge, randomBytes(32));
  const forged = {
    ...request,
    evidence: { ...request.evidence!, tpm: { ...request.evidence!.tpm!, ekCertificate: victim.ekCertificate } },
  };
  rejected(t, await failure(attacker.issue(forged)), status.UNAUTHENTICATED, /CHALLENGE_INVALID/);
  t.match(service.audit.at(-1), { decision: 'reject', check: 'challenge' });
  await t.rejects(attacker.activate(challenge), 'the attacker TPM cannot activate a credential made for another EK');
});

async function callWithEk(node: Awaited<ReturnType<typeof manualNode>>, ekCertificate: Buffer) {
  const { callUnary } = await import('../../../lib/join/unary-call.js');
  return callUnary<import('../../../proto/gen/join.js').GetChallengeResponse>('GetChallenge', (cb) =>
    node.client.getChallenge({ ekCertificate, akPublic: node.ak.public, variant: 'qemu-vtpm' }, cb),
  );
}

t.test('policy updates: unsigned and wrongly signed are PERMISSION_DENIED, rollback FAILED_PRECONDITION', async (t) => {
  const service = await startServiceFixture(t);
  const tpm = await nodeTpm(t);
  const node = await manualNode(tpm, service.address, service.verifyService);
  t.teardown(() => node.close());
  const fingerprint = keyFingerprint(new X509Certificate(node.ekCertificate).publicKey);
  const policyJson = Buffer.from(JSON.stringify({ controlPlaneEks: [fingerprint] }));

  rejected(
    t,
    await failure(node.updatePolicy({ policyJson, version: 2, signature: Buffer.alloc(0) })),
    status.PERMISSION_DENIED,
    /POLICY_UPDATE_SIGNATURE_INVALID/,
  );
  t.match(service.audit.at(-1), { decision: 'reject', method: 'UpdatePolicy', check: 'signature' });
  const stranger = generateKeyPairSync('ed25519').privateKey;
  rejected(
    t,
    await failure(node.updatePolicy({ policyJson, version: 2, signature: signPolicyUpdate(stranger, policyJson, 2n) })),
    status.PERMISSION_DENIED,
    /POLICY_UPDATE_SIGNATURE_INVALID/,
  );
  const signedV1 = signPolicyUpdate(service.adminPrivateKey, policyJson, 1n);
  rejected(
    t,
    await failure(node.updatePolicy({ policyJson, version: 1, signature: signedV1 })),
    status.FAILED_PRECONDITION,
    /POLICY_VERSION_NOT_NEWER/,
  );
  t.match(service.audit.at(-1), { decision: 'reject', method: 'UpdatePolicy', check: 'version' });

  const signed = signPolicyUpdate(service.adminPrivateKey, policyJson, 2n);
  t.same(await node.updatePolicy({ policyJson, version: 2, signature: signed }), { version: 2 });
  t.match(service.audit.at(-1), { decision: 'admit', method: 'UpdatePolicy', policyVersion: '2' });

  // Now listed: the node joins as control-plane and receives the control-plane files.
  await node.close();
  const result = await joinCluster({
    tpm,
    address: service.address,
    verifyService: service.verifyService,
    diskUuid: randomUUID(),
    nodeName: 'cp-0',
    eventLogPath: NO_EVENT_LOG,
    retry: once,
  });
  t.equal(result.role, 'control-plane');
  t.same(result.ticket.controlPlaneFiles, service.cluster.controlPlane.files);
  t.match(service.audit.at(-1), { decision: 'admit', role: 'control-plane', node: fingerprint, policyVersion: '2' });
});

t.test('oversized message: RESOURCE_EXHAUSTED and one audit line naming method, size and limit', async (t) => {
  const service = await startServiceFixture(t);
  const node = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  t.teardown(() => node.close());
  const challenge = await node.challenge();
  const { request } = await node.request(challenge, randomBytes(32));
  const oversized = { ...request, certificateRequest: Buffer.alloc(2 * 1024 * 1024) };
  const bytes = IssueJoinTicketRequest.encode(oversized).finish().length;
  const auditBefore = service.audit.length;
  rejected(
    t,
    await failure(node.issue(oversized)),
    status.RESOURCE_EXHAUSTED,
    new RegExp(
      `MESSAGE_TOO_LARGE: .*IssueJoinTicket expected a request of ≤ ${JOIN_MAX_MESSAGE_BYTES} bytes, found ${bytes}`,
    ),
  );
  t.same(service.audit.slice(auditBefore), [
    {
      decision: 'reject',
      method: 'IssueJoinTicket',
      check: 'request',
      reason: `MESSAGE_TOO_LARGE: /constellation.join.v1.JoinService/IssueJoinTicket expected a request of ≤ ${JOIN_MAX_MESSAGE_BYTES} bytes, found ${bytes}`,
      policyVersion: '1',
    },
  ]);
  const small = await node.challenge();
  t.ok(small.challengeId.length > 0, 'the channel and the service keep serving');
});

t.test('GetChallenge has its own, smaller limit; above the grpc-js backstop the refusal is unaudited', async (t) => {
  const service = await startServiceFixture(t);
  const node = await manualNode(await nodeTpm(t), service.address, service.verifyService);
  t.teardown(() => node.close());
  const auditBefore = service.audit.length;
  rejected(
    t,
    await failure(node.challenge(Buffer.alloc(GET_CHALLENGE_MAX_BYTES))),
    status.RESOURCE_EXHAUSTED,
    new RegExp(`MESSAGE_TOO_LARGE: .*GetChallenge expected a request of ≤ ${GET_CHALLENGE_MAX_BYTES} bytes`),
  );
  t.match(service.audit.slice(auditBefore), [{ decision: 'reject', method: 'GetChallenge', check: 'request' }]);
  t.equal(service.audit.length, auditBefore + 1);
  const challenge = await node.challenge();
  const { request } = await node.request(challenge, randomBytes(32));
  const auditAfterChallenge = service.audit.length;
  const error = await failure(
    node.issue({ ...request, certificateRequest: Buffer.alloc(JOIN_BACKSTOP_MESSAGE_BYTES) }),
  );
  rejected(t, error, status.RESOURCE_EXHAUSTED, /RESOURCE_EXHAUSTED/);
  t.notMatch((error as Error).message, /MESSAGE_TOO_LARGE/, 'grpc-js refused it itself');
  t.equal(service.audit.length, auditAfterChallenge, 'no handler ran above the backstop');
});

t.test('a JoinService that cannot attest itself: the node refuses and sends nothing', async (t) => {
  const service = await startServiceFixture(t);
  const tpm = await nodeTpm(t);
  const strictNode = joinServiceCheck({
    policy: parsePolicy({ tpm: { pcrs: { sha256: { 4: { expected: ['ff'.repeat(32)] } } } } }),
    ekRoots: service.ekRoots,
    ekIntermediates: service.ekIntermediates,
    serviceAkNames: [],
  });
  const error = await failure(
    joinCluster({
      tpm,
      address: service.address,
      verifyService: strictNode,
      diskUuid: randomUUID(),
      nodeName: 'n',
      eventLogPath: NO_EVENT_LOG,
      retry: once,
    }),
  );
  t.type(error, VerificationError);
  t.equal((error as VerificationError).code, 'ATLS_SERVER_NOT_ATTESTED');
  t.equal(service.audit.length, 0, 'the JoinService never saw a request');
});
