import t from 'tap';
import * as pb from '../../../../proto/gen/attestation.js';
import {
  DOCUMENT_LIMITS,
  decodeDocument,
  documentToJson,
  encodeDocument,
  type AttestationDocument,
} from '../../../../lib/attestation/document/index.js';
import { documentToMessage } from '../../../../lib/attestation/document/document-codec.js';
import { documentError } from './document-assert.js';
import { allDocuments, gcpDocument, snpDocument, tdxDocument } from './document-fixtures.js';

t.test('round-trips every vector document through protobuf', (t) => {
  for (const [name, doc] of Object.entries(allDocuments())) {
    const bytes = encodeDocument(doc);
    const back = decodeDocument(bytes);
    t.same(documentToJson(back), documentToJson(doc), name);
    t.same(encodeDocument(back), bytes, `${name}: re-encoding is byte-identical`);
  }
  t.end();
});

t.test('keeps the GCP vTPM evidence intact', (t) => {
  const doc = decodeDocument(encodeDocument(gcpDocument()));
  t.equal(doc.variant, 'gcp-vtpm');
  t.equal(doc.tpm?.quotes.length, 3);
  t.same(
    doc.tpm?.quotes.map((q) => q.pcrBank),
    ['sha1', 'sha256', 'sha384'],
  );
  t.equal(Object.keys(doc.tpm?.quotes[1]?.pcrs ?? {}).length, 24);
  t.equal(doc.tpm?.akCertificateChain.length, 1);
  t.equal(doc.tpm?.eventLog?.length, 23970);
  t.equal(doc.tpm?.ekCertificate, undefined, 'empty bytes decode as absent');
  t.end();
});

/** Encodes a raw message (bypassing validation) so decodeDocument sees exactly this shape. */
function encodeRaw(message: pb.AttestationDocument): Buffer {
  return Buffer.from(pb.AttestationDocument.encode(message).finish());
}

function mutate(doc: AttestationDocument, change: (m: pb.AttestationDocument) => void): Buffer {
  const message = documentToMessage(doc);
  change(message);
  return encodeRaw(message);
}

const big = (n: number): Buffer => Buffer.alloc(n, 1);

const invalid: { name: string; bytes: () => Buffer; field: string; match?: RegExp }[] = [
  { name: 'unsupported version', bytes: () => mutate(snpDocument(), (m) => (m.version = 2)), field: 'version' },
  { name: 'missing version', bytes: () => mutate(snpDocument(), (m) => (m.version = 0)), field: 'version' },
  {
    name: 'unknown variant',
    bytes: () => mutate(snpDocument(), (m) => (m.variant = 'sev-es')),
    field: 'variant',
    match: /one of qemu-vtpm, .*"sev-es"/,
  },
  { name: 'empty variant', bytes: () => mutate(snpDocument(), (m) => (m.variant = '')), field: 'variant' },
  {
    name: 'vTPM variant without TPM evidence',
    bytes: () => mutate(gcpDocument(), (m) => (m.tpm = undefined)),
    field: 'tpm',
    match: /TPM evidence for variant gcp-vtpm/,
  },
  {
    name: 'vTPM variant with TEE evidence',
    bytes: () =>
      mutate(gcpDocument(), (m) => {
        m.snp = documentToMessage(snpDocument()).snp;
      }),
    field: 'snp',
  },
  {
    name: 'sev-snp variant without SNP evidence',
    bytes: () => mutate(snpDocument(), (m) => (m.snp = undefined)),
    field: 'snp',
  },
  {
    name: 'sev-snp variant carrying TDX evidence',
    bytes: () =>
      mutate(snpDocument(), (m) => {
        m.snp = undefined;
        m.tdx = documentToMessage(tdxDocument()).tdx;
      }),
    field: 'tdx',
  },
  {
    name: 'both snp and tdx',
    bytes: () => mutate(snpDocument(), (m) => (m.tdx = documentToMessage(tdxDocument()).tdx)),
    field: 'snp/tdx',
  },
  {
    name: 'gcp-sev-snp without TPM',
    bytes: () => mutate(snpDocument(), (m) => (m.variant = 'gcp-sev-snp')),
    field: 'tpm',
  },
  {
    name: 'azure-sev-snp without HCL report',
    bytes: () =>
      mutate(snpDocument(), (m) => {
        m.variant = 'azure-sev-snp';
        m.tpm = documentToMessage(gcpDocument()).tpm;
      }),
    field: 'snp.hclReport',
  },
  {
    name: 'SNP report missing',
    bytes: () => mutate(snpDocument(), (m) => m.snp && (m.snp.report = Buffer.alloc(0))),
    field: 'snp.report',
  },
  {
    name: 'SNP signer certificate missing',
    bytes: () => mutate(snpDocument(), (m) => m.snp && (m.snp.signerCertificate = Buffer.alloc(0))),
    field: 'snp.signerCertificate',
  },
  {
    name: 'SNP report too large',
    bytes: () => mutate(snpDocument(), (m) => m.snp && (m.snp.report = big(DOCUMENT_LIMITS.snpReport + 1))),
    field: 'snp.report',
  },
  {
    name: 'SNP chain too large',
    bytes: () =>
      mutate(snpDocument(), (m) => m.snp && (m.snp.certificateChain = big(DOCUMENT_LIMITS.certificateChainPem + 1))),
    field: 'snp.certificateChain',
  },
  {
    name: 'TDX quote missing',
    bytes: () => mutate(tdxDocument(), (m) => m.tdx && (m.tdx.quote = Buffer.alloc(0))),
    field: 'tdx.quote',
  },
  {
    name: 'TDX quote too large',
    bytes: () => mutate(tdxDocument(), (m) => m.tdx && (m.tdx.quote = big(DOCUMENT_LIMITS.tdxQuote + 1))),
    field: 'tdx.quote',
  },
  {
    name: 'CC event log too large',
    bytes: () => mutate(tdxDocument(), (m) => m.tdx && (m.tdx.ccEventLog = big(DOCUMENT_LIMITS.ccEventLog + 1))),
    field: 'tdx.ccEventLog',
  },
  {
    name: 'collateral without TCB info',
    bytes: () => mutate(tdxDocument(), (m) => m.tdx?.collateral && (m.tdx.collateral.tcbInfo = Buffer.alloc(0))),
    field: 'tdx.collateral.tcbInfo',
  },
  {
    name: 'collateral without root CRL',
    bytes: () => mutate(tdxDocument(), (m) => m.tdx?.collateral && (m.tdx.collateral.rootCrl = Buffer.alloc(0))),
    field: 'tdx.collateral.rootCrl',
  },
  {
    name: 'AK public missing',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.akPublic = Buffer.alloc(0))),
    field: 'tpm.akPublic',
  },
  {
    name: 'AK public too large',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.akPublic = big(DOCUMENT_LIMITS.akPublic + 1))),
    field: 'tpm.akPublic',
  },
  {
    name: 'no quotes',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.quotes = [])),
    field: 'tpm.quotes',
  },
  {
    name: 'too many quotes',
    bytes: () =>
      mutate(gcpDocument(), (m) => {
        const q = m.tpm?.quotes[0];
        if (m.tpm && q) m.tpm.quotes = [0, 1, 2, 3, 4].map(() => ({ ...q }));
      }),
    field: 'tpm.quotes',
  },
  {
    name: 'two quotes for one bank',
    bytes: () =>
      mutate(gcpDocument(), (m) => {
        const [a, b] = m.tpm?.quotes ?? [];
        if (a && b) b.pcrBank = a.pcrBank;
      }),
    field: 'tpm.quotes[1].pcrBank',
  },
  {
    name: 'unknown PCR bank',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm?.quotes[0] && (m.tpm.quotes[0].pcrBank = 'md5')),
    field: 'tpm.quotes[0].pcrBank',
  },
  {
    name: 'quote attest too large',
    bytes: () =>
      mutate(gcpDocument(), (m) => m.tpm?.quotes[0] && (m.tpm.quotes[0].attest = big(DOCUMENT_LIMITS.quoteAttest + 1))),
    field: 'tpm.quotes[0].attest',
    match: /TPMS_ATTEST of 1 to 4096 bytes/,
  },
  {
    name: 'quote signature missing',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm?.quotes[0] && (m.tpm.quotes[0].signature = Buffer.alloc(0))),
    field: 'tpm.quotes[0].signature',
  },
  {
    name: 'PCR index out of range',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm?.quotes[1] && (m.tpm.quotes[1].pcrs[24] = big(32))),
    field: 'tpm.quotes[1].pcrs',
  },
  {
    name: 'PCR value of the wrong size',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm?.quotes[1] && (m.tpm.quotes[1].pcrs[7] = big(20))),
    field: 'tpm.quotes[1].pcrs[7]',
    match: /a 32-byte sha256 digest/,
  },
  {
    name: 'event log over 1 MiB',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.eventLog = big(DOCUMENT_LIMITS.eventLog + 1))),
    field: 'tpm.eventLog',
    match: /at most 1048576 bytes/,
  },
  {
    name: 'EK certificate too large',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.ekCertificate = big(DOCUMENT_LIMITS.certificate + 1))),
    field: 'tpm.ekCertificate',
  },
  {
    name: 'too many AK certificates',
    bytes: () =>
      mutate(gcpDocument(), (m) => m.tpm && (m.tpm.akCertificateChain = Array.from({ length: 9 }, () => big(10)))),
    field: 'tpm.akCertificateChain',
  },
  {
    name: 'empty AK certificate',
    bytes: () => mutate(gcpDocument(), (m) => m.tpm && (m.tpm.akCertificateChain = [Buffer.alloc(0)])),
    field: 'tpm.akCertificateChain[0]',
  },
  { name: 'empty input', bytes: () => Buffer.alloc(0), field: '(document)' },
  { name: 'not protobuf', bytes: () => Buffer.from([0x0a, 0xff, 0xff, 0xff]), field: '(document)' },
  {
    name: 'trailing bytes after an end-group tag',
    bytes: () => Buffer.concat([encodeDocument(snpDocument()), Buffer.from([0x0c, 0x01, 0x02])]),
    field: '(document)',
  },
];

t.test('rejects every malformed document with DOCUMENT_INVALID naming the field', (t) => {
  for (const tc of invalid) {
    t.test(tc.name, (t) => {
      const bytes = tc.bytes();
      const e = documentError(t, () => decodeDocument(bytes));
      t.ok(e.fields.includes(tc.field), `names ${tc.field} (got ${e.fields.join(', ')})`);
      t.match(e.message, tc.field === '(document)' ? /Invalid attestation document/ : tc.field);
      if (tc.match) t.match(e.message, tc.match);
      t.end();
    });
  }
  t.end();
});

t.test('reports every problem of one document at once', (t) => {
  const bytes = mutate(gcpDocument(), (m) => {
    m.version = 9;
    if (m.tpm) m.tpm.akPublic = Buffer.alloc(0);
  });
  const error = documentError(t, () => decodeDocument(bytes));
  t.same(error.fields, ['version', 'tpm.akPublic']);
  t.match(error.message, /2 problems/);
  t.end();
});

t.test('rejects an oversized input before decoding', (t) => {
  const error = documentError(t, () => decodeDocument(Buffer.alloc(DOCUMENT_LIMITS.document + 1)));
  t.match(error.message, /1 to 8388608 bytes/);
  t.end();
});
