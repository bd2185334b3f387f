// The local cluster's own files are validated on read: a machine spec, the cluster record, a node's timeline.
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import {
  readClusterRecord,
  writeClusterRecord,
  type ClusterRecord,
} from '../../../lib/local-cluster/cluster-record.js';
import { parseMachineSpec, type MachineSpec } from '../../../lib/local-cluster/machine-spec.js';
import { appendNodeEvent, readNodeEvents, waitForNodeEvent } from '../../../lib/local-cluster/node-events.js';
import { ConstellationError } from '../../../lib/errors.js';

const spec: MachineSpec = {
  name: 'worker-0',
  role: 'worker',
  address: '127.42.0.11',
  nodeDir: '/c/nodes/worker-0',
  caDir: '/c/ca',
  ekRootsFile: '/c/ca/root.pem',
  ekIntermediatesFile: '/c/ca/issuer.pem',
  metadataUrl: 'http://127.42.0.1:8080',
  runtime: 'dist',
  logLevel: 'info',
};

t.test('machine spec: accepted as written, every field checked', (t) => {
  t.same(parseMachineSpec(JSON.parse(JSON.stringify(spec)), 'm.json'), spec);
  const cases: [string, unknown][] = [
    ['name', 7],
    ['address', ''],
    ['nodeDir', undefined],
    ['role', 'admin'],
    ['runtime', 'docker'],
    ['logLevel', 'trace'],
  ];
  for (const [field, value] of cases) {
    t.throws(
      () => parseMachineSpec({ ...spec, [field]: value }, 'm.json'),
      { constructor: InputError, code: 'MACHINE_SPEC_INVALID', message: new RegExp(`\\.${field} expected`) },
      field,
    );
  }
  t.throws(() => parseMachineSpec([], 'm.json'), { code: 'MACHINE_SPEC_INVALID' });
  t.end();
});

t.test('cluster record: round trip; a missing one says to run local up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-record-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const record: ClusterRecord = {
    version: 1,
    createdAt: '2026-11-23T12:00:00.000Z',
    metadataListen: '127.42.0.1:8080',
    runtime: 'source',
    nodes: [{ name: 'control-plane-0', role: 'control-plane', address: '127.42.0.10' }],
  };
  await writeClusterRecord(join(dir, 'cluster.json'), record);
  t.same(await readClusterRecord(join(dir, 'cluster.json')), record);
  await t.rejects(readClusterRecord(join(dir, 'none.json')), {
    constructor: InputError,
    code: 'LOCAL_CLUSTER_NOT_FOUND',
    message: /constellation local up/,
  });
  await writeFile(
    join(dir, 'bad.json'),
    JSON.stringify({ ...record, nodes: [{ name: '../x', role: 'worker', address: '1' }] }),
  );
  await t.rejects(readClusterRecord(join(dir, 'bad.json')), {
    code: 'CLUSTER_RECORD_INVALID',
    message: /\.nodes\[0\]\.name/,
  });
  await writeFile(join(dir, 'v2.json'), JSON.stringify({ ...record, version: 2 }));
  await t.rejects(readClusterRecord(join(dir, 'v2.json')), { code: 'CLUSTER_RECORD_INVALID', message: /\.version/ });
});

t.test('node events: appended in order, a torn last line skipped, waits time out naming the last event', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'node-events-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.jsonl');
  t.same(await readNodeEvents(path), []);
  await appendNodeEvent(path, { boot: 1, source: 'machine', event: 'booted' });
  await appendNodeEvent(path, { boot: 1, source: 'bootstrapper', event: 'serving-init', address: '127.42.0.10:9000' });
  await appendFile(path, '{"boot":1,"source":"bootstr');
  const events = await readNodeEvents(path);
  t.same(
    events.map((event) => event.event),
    ['booted', 'serving-init'],
  );
  t.equal(events[1]?.address, '127.42.0.10:9000');
  const found = await waitForNodeEvent(path, (event) => event.event === 'serving-init', 'init', { timeoutMs: 100 });
  t.equal(found.source, 'bootstrapper');
  await t.rejects(
    waitForNodeEvent(path, (event) => event.event === 'joined', 'a join', { after: 0, timeoutMs: 50 }),
    {
      constructor: ConstellationError,
      code: 'LOCAL_NODE_TIMEOUT',
      message: /last event "serving-init"/,
    },
  );
});
