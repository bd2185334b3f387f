import t from 'tap';
import {
  decodeDocument,
  documentFromJson,
  documentFromJsonText,
  documentToJson,
  documentToJsonText,
  encodeDocument,
  parseDocument,
} from '../../../../lib/attestation/document/index.js';
import { documentError } from './document-assert.js';
import { allDocuments, gcpDocument } from './document-fixtures.js';

t.test('round-trips every vector document through JSON, and JSON to protobuf', (t) => {
  for (const [name, doc] of Object.entries(allDocuments())) {
    const text = documentToJsonText(doc);
    const back = documentFromJsonText(text);
    t.same(encodeDocument(back), encodeDocument(doc), `${name}: JSON form keeps every byte`);
    t.equal(parseDocument(Buffer.from(`\n  ${text}`)).encoding, 'json', `${name}: detected as JSON`);
    t.equal(parseDocument(encodeDocument(doc)).encoding, 'protobuf', `${name}: detected as protobuf`);
  }
  t.end();
});

t.test('writes PCR values as hex and blobs as base64', (t) => {
  const json = documentToJson(gcpDocument()) as {
    tpm: { quotes: { pcrBank: string; pcrs: Record<string, string> }[] };
  };
  const sha256 = json.tpm.quotes.find((q) => q.pcrBank === 'sha256');
  t.match(sha256?.pcrs['0'], /^[0-9a-f]{64}$/);
  t.notOk('ekCertificate' in json.tpm, 'absent fields are left out');
  t.end();
});

const base = (): Record<string, unknown> => documentToJson(gcpDocument());
type Json = Record<string, unknown>;
const tpmOf = (j: Json): Json => j['tpm'] as Json;
const quote0 = (j: Json): Json => (tpmOf(j)['quotes'] as Json[])[0] as Json;

const invalid: { name: string; json: () => unknown; field: string }[] = [
  { name: 'not an object', json: () => [1, 2], field: '(document)' },
  { name: 'unknown top-level key', json: () => ({ ...base(), extra: 1 }), field: 'extra' },
  { name: 'version as string', json: () => ({ ...base(), version: '1' }), field: 'version' },
  { name: 'version 2', json: () => ({ ...base(), version: 2 }), field: 'version' },
  { name: 'variant as number', json: () => ({ ...base(), variant: 7 }), field: 'variant' },
  { name: 'unknown variant', json: () => ({ ...base(), variant: 'nitro' }), field: 'variant' },
  {
    name: 'unknown key in tpm',
    json: () => {
      const j = base();
      tpmOf(j)['akPub'] = 'AAAA';
      return j;
    },
    field: 'tpm.akPub',
  },
  {
    name: 'akPublic not base64',
    json: () => {
      const j = base();
      tpmOf(j)['akPublic'] = 'not base64!';
      return j;
    },
    field: 'tpm.akPublic',
  },
  {
    name: 'quotes not an array',
    json: () => {
      const j = base();
      tpmOf(j)['quotes'] = {};
      return j;
    },
    field: 'tpm.quotes',
  },
  {
    name: 'PCR value not hex',
    json: () => {
      const j = base();
      (quote0(j)['pcrs'] as Json)['3'] = 'zz';
      return j;
    },
    field: 'tpm.quotes[0].pcrs[3]',
  },
  {
    name: 'PCR index not decimal',
    json: () => {
      const j = base();
      (quote0(j)['pcrs'] as Json)['0x3'] = '00';
      return j;
    },
    field: 'tpm.quotes[0].pcrs',
  },
  {
    name: 'PCR value of the wrong size',
    json: () => {
      const j = base();
      (quote0(j)['pcrs'] as Json)['3'] = '00';
      return j;
    },
    field: 'tpm.quotes[0].pcrs[3]',
  },
  {
    name: 'pcrBank not a string',
    json: () => {
      const j = base();
      quote0(j)['pcrBank'] = 11;
      return j;
    },
    field: 'tpm.quotes[0].pcrBank',
  },
  {
    name: 'snp is not an object',
    json: () => ({ version: 1, variant: 'sev-snp', snp: 'report' }),
    field: 'snp',
  },
  {
    name: 'unknown key in tdx.collateral',
    json: () => ({ version: 1, variant: 'tdx', tdx: { quote: 'AAAA', collateral: { tcb: 'AAAA' } } }),
    field: 'tdx.collateral.tcb',
  },
];

t.test('rejects malformed JSON documents naming the field path', (t) => {
  for (const tc of invalid) {
    t.test(tc.name, (t) => {
      const e = documentError(t, () => documentFromJson(tc.json()));
      t.ok(e.fields.includes(tc.field), `names ${tc.field} (got ${e.fields.join(', ')})`);
      t.end();
    });
  }
  t.test('text that is not JSON', (t) => {
    const e = documentError(t, () => documentFromJsonText('{"version": 1,'));
    t.match(e.message, /invalid JSON/);
    t.end();
  });
  t.end();
});

t.test('a JSON document and its protobuf decode to the same evidence', (t) => {
  const doc = gcpDocument();
  t.same(documentToJson(decodeDocument(encodeDocument(doc))), documentToJson(documentFromJson(documentToJson(doc))));
  t.end();
});
