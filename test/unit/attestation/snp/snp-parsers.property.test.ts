// Property tests: the certificate parser, VCEK extension reader and report parser return a result or
// throw a ConstellationError for any input, random or mutated from real vectors. The DER reader itself
// is covered by test/unit/asn1/der-reader.property.test.ts.
import t from 'tap';
import fc from 'fast-check';
import { ConstellationError } from '../../../../lib/errors.js';
import { parseAmdCertificate } from '../../../../lib/attestation/snp/amd-certificate.js';
import { parseSignerCertificate } from '../../../../lib/attestation/snp/signer-certificate.js';
import { parseSnpReport } from '../../../../lib/attestation/snp/snp-report.js';
import { GSG, TURIN_VCEK, VIRTEE } from './snp-vectors.js';

function typedOrResult(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof ConstellationError;
  }
}

const mutated = (base: Buffer): fc.Arbitrary<Buffer> =>
  fc
    .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .chain((edits) =>
      fc.nat({ max: base.length }).map((cut) => {
        const copy = Buffer.from(base);
        for (const [index, value] of edits) copy[index] = value;
        return edits.length % 3 === 0 ? copy.subarray(0, cut) : copy;
      }),
    );

const certificates = [GSG.vcek, VIRTEE.vcek, TURIN_VCEK];

t.test('certificate + extension reader: mutated VCEKs → result or ConstellationError', (t) => {
  for (const base of certificates) {
    fc.assert(
      fc.property(mutated(base), (der) =>
        typedOrResult(() => {
          parseAmdCertificate(der);
          parseSignerCertificate(der);
        }),
      ),
      { numRuns: 400 },
    );
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (der) => typedOrResult(() => parseSignerCertificate(der))),
    {
      numRuns: 500,
    },
  );
  t.pass('no untyped exception');
  t.end();
});

t.test('report parser: random and mutated reports → report or SNP_REPORT_MALFORMED', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1184, maxLength: 1184 }), (b) => typedOrResult(() => parseSnpReport(b))),
    {
      numRuns: 500,
    },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1300 }), (b) => typedOrResult(() => parseSnpReport(b))),
    { numRuns: 500 },
  );
  for (const base of [GSG.report, VIRTEE.report]) {
    fc.assert(
      fc.property(mutated(base), (b) => typedOrResult(() => parseSnpReport(b))),
      { numRuns: 500 },
    );
  }
  t.pass('no untyped exception');
  t.end();
});
