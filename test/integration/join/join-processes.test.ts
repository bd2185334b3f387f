// The KMS and the JoinService as real processes, each node a process with its own swtpm (EK certificate from
// the shared local CA): joins, documented disk keys, a restart of the JoinService while nodes join, and a
// policy update during a join storm.
import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { adminSigningKey, deriveDiskKey, signPolicyUpdate } from '../../../lib/crypto/index.js';
import { connectAttested } from '../../../lib/atls/index.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import { callUnary } from '../../../lib/join/unary-call.js';
import { JoinServiceClient, type UpdatePolicyResponse } from '../../../proto/gen/join.js';
import { auditLines, spawnNode, startCluster, startJoinService, type AgentProcess } from './agent-processes.js';

interface Joined {
  readonly event: string;
  readonly role: string;
  readonly attempts: number;
  readonly diskKeySha256: string;
  readonly controlPlaneFiles: string[];
}

const sha256 = (value: Buffer): string => createHash('sha256').update(value).digest('hex');
const finished = (node: AgentProcess) =>
  node.line<{ event: string; message?: string }>((v) => v.event === 'done' || v.event === 'failed');

t.test('nodes as processes join; disk keys are the documented HKDF values; a restart loses no node', async (t) => {
  const cluster = await startCluster(t);
  const first = await startJoinService(t, cluster);
  // Generous: a restarted agent (tsx start-up) may take seconds on a loaded machine; backoff caps at 1 s.
  const retry = { attempts: 120, baseMs: 50, maxMs: 1000 };
  const nodes = Array.from({ length: 3 }, (_, index) => {
    const diskUuid = randomUUID();
    const node = spawnNode(t, {
      address: first.address,
      caDir: cluster.ca.dir,
      serviceAkName: first.akName,
      diskUuid,
      nodeName: `worker-${index}`,
      joins: 2,
      retry,
    });
    return { node, diskUuid };
  });
  // Restart once the first join went through: the others are mid-protocol or waiting.
  await nodes[0]!.node.line((v) => v.event === 'joined');
  t.equal(await first.agent.stop('SIGTERM'), 0, 'graceful shutdown on SIGTERM exits 0');
  const second = await startJoinService(t, cluster, first.address);
  t.equal(second.akName, first.akName, 'same TPM, same AK name: nodes keep trusting it');

  for (const { node, diskUuid } of nodes) {
    const end = await finished(node);
    t.equal(end.event, 'done', end.message ?? 'joined');
    const joins = node.stdoutLines.filter((v) => (v as Joined).event === 'joined') as Joined[];
    t.equal(joins.length, 2);
    for (const join of joins) {
      t.equal(join.role, 'worker');
      t.same(join.controlPlaneFiles, [], 'a worker never receives control-plane files');
      t.equal(join.diskKeySha256, sha256(deriveDiskKey(cluster.masterSecret, diskUuid)));
    }
  }
  const admits = [...auditLines(first.agent), ...auditLines(second.agent)].filter(
    (line) => line.action === 'IssueJoinTicket' && line.outcome === 'granted',
  );
  t.equal(admits.length, 6, 'one audit line per granted join');
});

t.test('a policy update during a join storm loses no join and mixes no policies', async (t) => {
  const cluster = await startCluster(t);
  const service = await startJoinService(t, cluster);
  const nodes = Array.from({ length: 3 }, (_, index) =>
    spawnNode(t, {
      address: service.address,
      caDir: cluster.ca.dir,
      serviceAkName: service.akName,
      diskUuid: randomUUID(),
      nodeName: `node-${index}`,
      joins: 6,
      retry: { attempts: 3, baseMs: 50, maxMs: 200 },
    }),
  );
  const fingerprints = await Promise.all(nodes.map((node) => node.line<{ ek: string }>((v) => v.event === 'ready')));
  const controlPlaneEk = fingerprints[0]!.ek;
  await nodes[0]!.line((v) => v.event === 'joined');

  // Version 2 names node 0 as control-plane: every join judged by v2 gives it that role, by v1 never.
  const policyJson = Buffer.from(JSON.stringify({ controlPlaneEks: [controlPlaneEk] }));
  const admin = adminSigningKey(cluster.masterSecret);
  const connection = await connectAttested({
    address: service.address,
    verify: joinServiceCheck({
      policy: parsePolicy({}),
      ekRoots: [await cluster.ca.rootPem()],
      ekIntermediates: [await cluster.ca.intermediatePem()],
      serviceAkNames: [service.akName],
    }),
  });
  const client = new JoinServiceClient(connection.target, connection.credentials);
  t.teardown(() => {
    client.close();
  });
  const updated = await callUnary<UpdatePolicyResponse>('UpdatePolicy', (cb) =>
    client.updatePolicy({ policyJson, version: 2, signature: signPolicyUpdate(admin.privateKey, policyJson, 2n) }, cb),
  );
  t.same(updated, { version: 2 });

  for (const node of nodes) t.equal((await finished(node)).event, 'done');
  const admits = auditLines(service.agent).filter((l) => l.action === 'IssueJoinTicket' && l.outcome === 'granted');
  t.equal(admits.length, 18, 'no join lost');
  const versions = new Set(admits.map((l) => l.policyVersion));
  t.ok(versions.has('1') || versions.has('2'), `policy versions seen: ${[...versions].join(', ')}`);
  for (const line of admits) {
    const ek = (line.subject as { ek: string }).ek;
    const expected = line.policyVersion === '2' && ek === controlPlaneEk ? 'control-plane' : 'worker';
    t.equal(line.role, expected, `role by policy v${String(line.policyVersion)}`);
  }
  const cpJoins = (nodes[0]!.stdoutLines as Joined[]).filter((v) => v.event === 'joined');
  for (const join of cpJoins) {
    t.same(join.controlPlaneFiles, join.role === 'control-plane' ? ['pki/ca.key'] : []);
  }
  t.match(auditLines(service.agent), [], 'audit lines parsed');
});
