// Node state on the state disk: round trips, strict reading, atomic 0600 writes, control-plane keys.
import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors.js';
import { generateMasterSecret } from '../../../lib/crypto/index.js';
import {
  NODE_STATE_FILE,
  NODE_STATE_INVALID,
  readControlPlaneKeys,
  readNodeState,
  writeControlPlaneKeys,
  writeNodeState,
  type NodeState,
} from '../../../agents/bootstrapper/node-state.js';

const state = (): NodeState => ({
  role: 'worker',
  measurementSalt: randomBytes(32),
  clusterId: randomBytes(32),
  diskUuid: randomUUID(),
});

t.test('write then read gives the same state; the file is 0600 and no temp file is left', async (t) => {
  const dir = t.testdir();
  const written = state();
  await writeNodeState(dir, written);
  t.same(await readNodeState(dir), written);
  t.equal((await stat(join(dir, NODE_STATE_FILE))).mode & 0o777, 0o600);
  t.same(await readdir(dir), [NODE_STATE_FILE]);
});

t.test('invalid states are refused at write time (salt of 16 bytes: §11 item 16)', async (t) => {
  const dir = t.testdir();
  for (const [name, bad] of [
    ['short salt', { ...state(), measurementSalt: randomBytes(16) }],
    ['short cluster id', { ...state(), clusterId: randomBytes(8) }],
    ['upper-case uuid', { ...state(), diskUuid: randomUUID().toUpperCase() }],
    ['unknown role', { ...state(), role: 'admin' as 'worker' }],
  ] as const) {
    await t.rejects(writeNodeState(dir, bad), { constructor: InputError, code: NODE_STATE_INVALID }, name);
  }
  t.same(await readdir(dir), []);
});

t.test('reading is strict: each malformed field is named', async (t) => {
  const dir = t.testdir();
  await writeNodeState(dir, state());
  const good = JSON.parse(await readFile(join(dir, NODE_STATE_FILE), 'utf8')) as Record<string, unknown>;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown field', { ...good, extra: 1 }, /extra/],
    ['version 2', { ...good, version: 2 }, /version/],
    ['role', { ...good, role: 'Worker' }, /role/],
    ['short salt', { ...good, measurementSalt: randomBytes(16).toString('base64') }, /measurementSalt/],
    ['cluster id not hex', { ...good, clusterId: 'zz' }, /clusterId/],
    ['disk uuid', { ...good, diskUuid: 'nope' }, /diskUuid/],
  ];
  for (const [name, json, field] of cases) {
    await writeFile(join(dir, NODE_STATE_FILE), JSON.stringify(json));
    await t.rejects(readNodeState(dir), { constructor: InputError, code: NODE_STATE_INVALID, message: field }, name);
  }
  await writeFile(join(dir, NODE_STATE_FILE), '{');
  await t.rejects(readNodeState(dir), { constructor: InputError, code: NODE_STATE_INVALID });
});

t.test('control-plane keys round trip; a joined node has none', async (t) => {
  const dir = t.testdir();
  t.equal(await readControlPlaneKeys(dir), undefined);
  const keys = {
    masterSecret: generateMasterSecret(),
    joinPolicyJson: Buffer.from(JSON.stringify({ attestation: {}, controlPlaneEks: [] })),
    joinPolicyVersion: 3n,
    cluster: {
      measurementSalt: randomBytes(32),
      apiServerEndpoint: '127.42.0.11:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'0'.repeat(64)}`,
      controlPlane: { files: [{ name: 'pki/ca.key', data: randomBytes(40) }] },
    },
  };
  await writeControlPlaneKeys(dir, keys);
  // Written twice (a retried Init on the same pending disk) is fine: the disk is not bound yet.
  await writeControlPlaneKeys(dir, keys);
  const read = await readControlPlaneKeys(dir);
  t.same(read?.masterSecret, keys.masterSecret);
  t.same(read?.joinPolicyJson, keys.joinPolicyJson);
  t.equal(read?.joinPolicyVersion, 3n);
  t.same(read?.cluster, keys.cluster);
  for (const file of await readdir(dir)) t.equal((await stat(join(dir, file))).mode & 0o777, 0o600, file);
});
