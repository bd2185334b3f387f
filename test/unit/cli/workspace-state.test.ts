// constellation-state.json and constellation-id.json: strict validation with field paths; the init secret is
// never echoed in an error; state writes are 0600 and refuse to replace unless asked.
import t from 'tap';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors.js';
import { ID_FILE_INVALID, parseIdFile, readIdFile, writeIdFile } from '../../../cli/workspace/id-file.js';
import {
  STATE_INVALID,
  parseState,
  readState,
  validateState,
  writeState,
  type WorkspaceState,
} from '../../../cli/workspace/state.js';
import { WORKSPACE_ERROR_CODES } from '../../../cli/workspace/files.js';

const dir = await mkdtemp(join(tmpdir(), 'cli-state-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const SECRET = 'ab'.repeat(32);
const state: WorkspaceState = {
  version: 1,
  infrastructure: {
    provider: 'local',
    initEndpoint: '127.42.0.11:9000',
    metadataUrl: 'http://127.42.0.1:8080',
    initSecret: SECRET,
    nodes: [
      { name: 'cp-0', role: 'control-plane', address: '127.42.0.11' },
      { name: 'worker-0', role: 'worker', address: '127.42.0.12' },
    ],
  },
};

type Json = Record<string, Record<string, unknown>>;
const copy = (): Json => JSON.parse(JSON.stringify(state)) as Json;

t.test('valid state round-trips; cluster values optional', async (t) => {
  t.same(parseState(JSON.stringify(state)), state);
  const path = await writeState(dir, state);
  t.equal((await stat(path)).mode & 0o777, 0o600, 'holds the init secret: 0600');
  t.same(await readState(dir), state);
  await t.rejects(writeState(dir, state), { code: WORKSPACE_ERROR_CODES.WORKSPACE_FILE_EXISTS });
  const withCluster: WorkspaceState = {
    ...state,
    cluster: {
      clusterId: 'cd'.repeat(32),
      ownerId: 'ef'.repeat(32),
      measurementSalt: '01'.repeat(32),
      initializedAt: '2026-11-23T12:00:00Z',
    },
  };
  await writeState(dir, withCluster, { overwrite: true });
  t.same(await readState(dir), withCluster);
  const vms: WorkspaceState = { ...state, infrastructure: { ...state.infrastructure, provider: 'qemu' } };
  t.same(parseState(JSON.stringify(vms)), vms, 'provider qemu: a `mini up` cluster');
});

t.test('each field names its path; the init secret is never echoed', (t) => {
  const cases: [string, (s: Json) => void, RegExp][] = [
    ['version', (s) => ((s as Record<string, unknown>)['version'] = 2), /version: expected 1, found number 2/],
    [
      'provider',
      (s) => (s['infrastructure']!['provider'] = 'aws'),
      /infrastructure\.provider: expected "local" or "qemu"/,
    ],
    [
      'initEndpoint',
      (s) => (s['infrastructure']!['initEndpoint'] = 'nope'),
      /infrastructure\.initEndpoint: expected "ip:port"/,
    ],
    [
      'metadataUrl',
      (s) => (s['infrastructure']!['metadataUrl'] = 'ftp://x'),
      /infrastructure\.metadataUrl: expected an http\(s\) URL/,
    ],
    [
      'initSecret',
      (s) => (s['infrastructure']!['initSecret'] = 'zz'.repeat(32)),
      /infrastructure\.initSecret: expected 32 to 128 lowercase hex chars, found a string of 64 chars/,
    ],
    [
      'node role',
      (s) => ((s['infrastructure']!['nodes'] as Record<string, unknown>[])[1]!['role'] = 'boss'),
      /infrastructure\.nodes\[1\]\.role: expected "control-plane" or "worker"/,
    ],
    [
      'node name twice',
      (s) => ((s['infrastructure']!['nodes'] as Record<string, unknown>[])[1]!['name'] = 'cp-0'),
      /nodes\[1\]\.name: expected unique node names/,
    ],
    [
      'node address',
      (s) => ((s['infrastructure']!['nodes'] as Record<string, unknown>[])[0]!['address'] = 'host name'),
      /nodes\[0\]\.address: expected an IP address/,
    ],
    ['unknown key', (s) => (s['infrastructure']!['extra'] = true), /infrastructure\.extra: unknown key/],
    [
      'cluster id',
      (s) =>
        ((s as Record<string, unknown>)['cluster'] = {
          clusterId: 'x',
          ownerId: 'ef'.repeat(32),
          measurementSalt: '01'.repeat(32),
          initializedAt: '2026-11-23T12:00:00Z',
        }),
      /cluster\.clusterId: expected 64 lowercase hex chars/,
    ],
  ];
  for (const [name, mutate, pattern] of cases) {
    const value = copy();
    mutate(value);
    const error = (() => {
      try {
        validateState(value);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    t.ok(error instanceof InputError, `${name}: InputError`);
    t.equal((error as InputError).code, STATE_INVALID, `${name}: code`);
    t.match((error as Error).message, pattern, `${name}: message`);
    t.notOk((error as Error).message.includes('zz'.repeat(8)), `${name}: no secret in the message`);
    t.notOk((error as Error).message.includes(SECRET.slice(0, 16)), `${name}: no secret in the message`);
  }
  t.throws(() => parseState('{'), { code: STATE_INVALID });
  t.end();
});

t.test('id file: written once, validated on read', async (t) => {
  const ws = await mkdtemp(join(dir, 'id-'));
  const id = {
    clusterId: 'cd'.repeat(32),
    ownerId: 'ef'.repeat(32),
    clusterName: 'c',
    initEndpoint: '127.42.0.11:9000',
  };
  await writeIdFile(ws, id);
  t.same(await readIdFile(ws), id);
  await t.rejects(writeIdFile(ws, id), { code: WORKSPACE_ERROR_CODES.WORKSPACE_FILE_EXISTS });
  t.throws(() => parseIdFile(JSON.stringify({ ...id, clusterId: 'short' })), {
    code: ID_FILE_INVALID,
    message: /clusterId/,
  });
  t.throws(() => parseIdFile(JSON.stringify({ ...id, extra: 1 })), {
    code: ID_FILE_INVALID,
    message: /extra: unknown key/,
  });
  await writeFile(join(ws, 'constellation-id.json'), 'not json');
  await t.rejects(readIdFile(ws), { code: ID_FILE_INVALID });
});
