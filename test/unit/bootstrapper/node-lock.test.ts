// NodeLock: first caller wins, no unlock, PCR 15 extended once with SHA-256(clusterId).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ConstellationError } from '../../../lib/errors.js';
import { clusterMeasurementDigest } from '../../../lib/crypto/index.js';
import { NODE_ALREADY_ACTIVATING, NodeLock, nodeAlreadyActivating } from '../../../agents/bootstrapper/node-lock.js';

function recordingLock() {
  const extensions: { pcr: number; digest: Buffer }[] = [];
  const lock = new NodeLock((pcr, digests) => {
    extensions.push({ pcr, digest: digests.sha256 });
    return Promise.resolve();
  });
  return { lock, extensions };
}

t.test('the first caller wins; every later caller is refused, whoever it is', (t) => {
  const { lock } = recordingLock();
  t.equal(lock.owner, undefined);
  const holder = lock.tryLock('init');
  t.equal(holder?.owner, 'init');
  t.equal(lock.tryLock('join'), undefined);
  t.equal(lock.tryLock('init'), undefined);
  t.equal(lock.owner, 'init');
  const error = nodeAlreadyActivating(lock.owner);
  t.type(error, ConstellationError);
  t.equal(error.code, NODE_ALREADY_ACTIVATING);
  t.match(error.message, /by init/);
  t.end();
});

t.test('the holder extends PCR 15 with SHA-256(clusterId), once', async (t) => {
  const { lock, extensions } = recordingLock();
  const holder = lock.tryLock('join');
  t.ok(holder);
  const clusterId = randomBytes(32);
  await holder?.measureCluster(clusterId);
  t.same(extensions, [{ pcr: 15, digest: clusterMeasurementDigest(clusterId) }]);
  await t.rejects(holder?.measureCluster(clusterId) ?? Promise.resolve(), {
    constructor: ConstellationError,
    code: 'CLUSTER_ALREADY_MEASURED',
  });
  t.equal(extensions.length, 1);
});

t.test('a cluster id of the wrong size is refused before anything is extended', async (t) => {
  const { lock, extensions } = recordingLock();
  const holder = lock.tryLock('init');
  await t.rejects(holder?.measureCluster(randomBytes(16)) ?? Promise.resolve(), { code: 'INVALID_ARGUMENT' });
  t.equal(extensions.length, 0);
});
