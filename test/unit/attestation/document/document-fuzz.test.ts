// Property tests: decoders given random or mutated bytes return a document or throw DOCUMENT_INVALID, never
// another exception.
import t from 'tap';
import fc from 'fast-check';
import {
  DocumentInvalidError,
  decodeDocument,
  documentFromGcpAttestation,
  documentFromJsonText,
  documentToJsonText,
  encodeDocument,
  parseAzureVtpmQuote,
} from '../../../../lib/attestation/document/index.js';
import { allDocuments, vector } from './document-fixtures.js';

function typedOrResult(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (error instanceof DocumentInvalidError && error.code === 'DOCUMENT_INVALID') return true;
    throw error;
  }
}

const seeds = Object.values(allDocuments()).map(encodeDocument);
const gcp = vector('gcp/go-tpm-tools/attestations/gce-cos-85-no-nonce.pb');
const azure = vector('azure/azure-cvm-tooling/quote.bin');

/** A seed with a few bytes overwritten, inserted or cut off. */
function mutated(seedsArb: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      seedsArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(),
    )
    .map(([seed, edits, cut]) => {
      const out = Buffer.from(seed);
      for (const [at, value] of edits) out[at % out.length] = value;
      return cut % 4 === 0 ? out.subarray(0, cut % out.length) : out;
    });
}

t.test('decodeDocument on random bytes', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => typedOrResult(() => decodeDocument(bytes))),
    {
      numRuns: 2000,
    },
  );
  t.pass('no untyped exception');
  t.end();
});

t.test('decodeDocument on mutated vector documents', (t) => {
  fc.assert(
    fc.property(mutated(fc.constantFrom(...seeds)), (bytes) => typedOrResult(() => decodeDocument(bytes))),
    { numRuns: 1000 },
  );
  t.pass('no untyped exception');
  t.end();
});

t.test('documentFromJsonText on mutated JSON text', (t) => {
  const texts = Object.values(allDocuments()).map((d) => Buffer.from(documentToJsonText(d)));
  fc.assert(
    fc.property(mutated(fc.constantFrom(...texts)), (bytes) =>
      typedOrResult(() => documentFromJsonText(bytes.toString('utf8'))),
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.json(), (text) => typedOrResult(() => documentFromJsonText(text))),
    { numRuns: 1000 },
  );
  t.pass('no untyped exception');
  t.end();
});

t.test('documentFromGcpAttestation and parseAzureVtpmQuote on random and mutated bytes', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated(fc.constant(gcp))), (bytes) =>
      typedOrResult(() => documentFromGcpAttestation(bytes)),
    ),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated(fc.constant(azure))), (bytes) =>
      typedOrResult(() => parseAzureVtpmQuote(bytes)),
    ),
    { numRuns: 1000 },
  );
  t.pass('no untyped exception');
  t.end();
});
