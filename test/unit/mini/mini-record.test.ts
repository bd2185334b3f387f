// cluster.json of a VM cluster: validated on read, one field at a time, so `mini down` never acts on a record it
// cannot trust; `--nodes` parsing.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { validateMiniRecord } from '../../../lib/mini/mini-record.js';
import { parseNodes } from '../../../cli/commands/mini-up.js';
import { UsageError } from '../../../cli/usage-error.js';

const record = {
  version: 1,
  createdAt: '2026-11-23T15:00:00.000Z',
  id: 'abcd0123',
  subnet: '10.42.0',
  imageDir: '/work/out/image',
  accelerator: 'tcg',
  vcpus: 1,
  metadataListen: '10.42.0.1:8080',
  runtime: 'dist',
  nodes: [{ name: 'control-plane-0', role: 'control-plane', address: '10.42.0.10', mac: '52:54:00:ab:cd:00' }],
};

t.test('a valid record round-trips', (t) => {
  t.same(validateMiniRecord(structuredClone(record), 'cluster.json'), record);
  t.end();
});

t.test('each invalid field is named', (t) => {
  const node = record.nodes[0];
  const cases: [string, unknown][] = [
    ['.version', { ...record, version: 2 }],
    ['.id', { ...record, id: '../../etc' }],
    ['.subnet', { ...record, subnet: '10.42' }],
    ['.accelerator', { ...record, accelerator: 'hvf' }],
    ['.vcpus', { ...record, vcpus: 0 }],
    ['.runtime', { ...record, runtime: 'bun' }],
    ['.nodes[0].name', { ...record, nodes: [{ ...node, name: 'Bad Name' }] }],
    ['.nodes[0].role', { ...record, nodes: [{ ...node, role: 'boss' }] }],
    ['.nodes[0].address', { ...record, nodes: [{ ...node, address: 'host' }] }],
    ['.nodes[0].mac', { ...record, nodes: [{ ...node, mac: 'zz' }] }],
  ];
  for (const [field, value] of cases) {
    t.throws(
      () => validateMiniRecord(value, 'cluster.json'),
      { constructor: InputError, code: 'MINI_RECORD_INVALID', message: new RegExp(field.replace(/[.[\]]/g, '\\$&')) },
      field,
    );
  }
  t.end();
});

t.test('--nodes', (t) => {
  t.same(parseNodes('1:2'), { controlPlanes: 1, workers: 2 });
  t.same(parseNodes('3:0'), { controlPlanes: 3, workers: 0 });
  for (const bad of ['0:2', '1', '1:2:3', 'a:b', '-1:2', '100:1']) {
    t.throws(() => parseNodes(bad), UsageError, bad);
  }
  t.end();
});
