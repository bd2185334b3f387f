// Random and mutated inputs: every parser returns a result or throws a ConstellationError, nothing else.
import t from 'tap';
import fc from 'fast-check';
import { ConstellationError } from '../../../lib/errors.js';
import { parseAttest } from '../../../lib/tpm/attest.js';
import { parsePublic, parsePublic2B } from '../../../lib/tpm/public-area.js';
import { parseSignature } from '../../../lib/tpm/signature.js';
import { verifyQuote } from '../../../lib/tpm/quote-verifier.js';
import { TpmReader } from '../../../lib/tpm/tpm-reader.js';
import { gcpAttestation, windowsQuote } from './tpm-vectors.js';
import { syntheticAk, syntheticQuote } from './synthetic-quote.js';

function outcome(run: () => unknown): 'ok' | 'typed-error' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof ConstellationError) return 'typed-error';
    throw error;
  }
}

/** A real structure with bytes overwritten, then maybe truncated or extended. */
function mutated(seed: Buffer): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat({ max: seed.length + 8 }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([writes, cut, tail]) => {
      const copy = Buffer.from(seed);
      for (const [offset, value] of writes) copy[offset] = value;
      return cut > seed.length ? Buffer.concat([copy, tail]) : copy.subarray(0, cut);
    });
}

const gcp = gcpAttestation('gce-cos-85-nonce9009.pb');
const quote = gcp.quotes[1]!;
const ecc = syntheticAk('ecc-p384');
const eccQuote = syntheticQuote(ecc, { sha1: [0, 1], sha384: [23] });
const windows = windowsQuote();
const RUNS = { numRuns: 400 };

const parsers: [string, (bytes: Buffer) => unknown, Buffer[]][] = [
  ['parseAttest', parseAttest, [quote.attest, eccQuote.attest, windows.creationAttest]],
  ['parseSignature', parseSignature, [quote.signature, eccQuote.signature]],
  ['parsePublic', parsePublic, [gcp.akPublic, ecc.akPublic.raw, windows.akPublic]],
  ['parsePublic2B', parsePublic2B, [Buffer.concat([Buffer.from([0x01, 0x18]), gcp.akPublic])]],
];

for (const [name, parse, seeds] of parsers) {
  t.test(`${name}: random bytes give a result or a ConstellationError`, (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        outcome(() => parse(Buffer.from(bytes)));
      }),
      RUNS,
    );
    t.pass('no other exception in 400 runs');
    t.end();
  });
  t.test(`${name}: mutated real structures give a result or a ConstellationError`, (t) => {
    let typed = 0;
    for (const seed of seeds) {
      t.equal(
        outcome(() => parse(seed)),
        'ok',
        'the unmutated seed parses',
      );
      fc.assert(
        fc.property(mutated(seed), (bytes) => {
          if (outcome(() => parse(bytes)) === 'typed-error') typed++;
        }),
        RUNS,
      );
    }
    t.ok(typed > 0, `mutations were rejected with typed errors (${typed})`);
    t.end();
  });
}

t.test('verifyQuote: mutated quote, signature and AK give a result or a ConstellationError', (t) => {
  fc.assert(
    fc.property(
      mutated(quote.attest),
      mutated(quote.signature),
      mutated(gcp.akPublic),
      (attest, signature, akPublic) => {
        outcome(() =>
          verifyQuote({ akPublic, attest, signature, expectedQualifyingData: quote.nonce, pcrs: quote.pcrs }),
        );
      },
    ),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(mutated(eccQuote.attest), mutated(eccQuote.signature), (attest, signature) => {
      outcome(() =>
        verifyQuote({
          akPublic: ecc.akPublic,
          attest,
          signature,
          expectedQualifyingData: eccQuote.nonce,
          pcrs: eccQuote.pcrs,
        }),
      );
    }),
    { numRuns: 200 },
  );
  t.pass('no other exception');
  t.end();
});

t.test('TpmReader: any sequence of reads on any input stays in bounds', (t) => {
  const op = fc.constantFrom('u8', 'u16', 'u32', 'u64', 'sized', 'bytes', 'end');
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(op, { maxLength: 20 }),
      fc.nat({ max: 80 }),
      (bytes, ops, n) => {
        const reader = new TpmReader(bytes, 'FUZZ');
        for (const name of ops) {
          const before = reader.offset;
          const result = outcome(() => {
            if (name === 'sized') reader.sized('f');
            else if (name === 'bytes') reader.bytes(n, 'f');
            else if (name === 'end') reader.end();
            else reader[name]('f');
          });
          if (result === 'typed-error' && name !== 'sized' && reader.offset !== before)
            throw new Error('offset moved on a failed read');
          if (reader.offset > bytes.length) throw new Error('read past the end');
        }
      },
    ),
    RUNS,
  );
  t.pass('bounded');
  t.end();
});
