import t from 'tap';
import { InputError, VerificationError } from '../../../lib/errors.js';
import { verifyQuote, type QuoteInput } from '../../../lib/tpm/quote-verifier.js';
import { hierarchyQualifiedName, objectName, qualifiedName } from '../../../lib/tpm/object-name.js';
import { parsePublic } from '../../../lib/tpm/public-area.js';
import { publicFromKey } from '../../../lib/tpm/public-marshal.js';
import { marshalSignature } from '../../../lib/tpm/signature-marshal.js';
import { marshalQuoteInfo } from '../../../lib/tpm/attest-marshal.js';
import { TPM_ALG, TPM_RH, TPM_ST } from '../../../lib/tpm/tpm-constants.js';
import { azureAkKey, azureQuote, gcpAttestation, windowsQuote } from './tpm-vectors.js';
import { pcrDigest, pcrValuesFor, syntheticAk, syntheticQuote, type SyntheticAk } from './synthetic-quote.js';

const ALL_PCRS = Array.from({ length: 24 }, (_, i) => i);

function flip(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset < 0 ? copy.length + offset : offset]! ^= 0x01;
  return copy;
}

function withU16(bytes: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16BE(value, offset);
  return copy;
}

function azureInput(): QuoteInput {
  const q = azureQuote();
  // Azure publishes a PKIX AK and a raw signature; wrap them as the TPM would hand them out.
  return {
    akPublic: publicFromKey(azureAkKey()),
    attest: q.attest,
    signature: marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256, sig: q.signature }),
    expectedQualifyingData: q.nonce,
    pcrs: q.pcrs,
  };
}

t.test('Azure vTPM quote verifies and returns the 24 signed SHA-256 PCRs', (t) => {
  const verified = verifyQuote(azureInput());
  t.same(verified.selection, { sha256: ALL_PCRS });
  t.same(verified.pcrs.sha256, azureQuote().expectedPcrs, 'values match expected.json');
  t.equal(verified.attest.extraData.toString(), 'challenge');
  t.end();
});

t.test('Azure upstream negatives: nonce [1,2,3,4] and a reversed signature', (t) => {
  t.throws(() => verifyQuote({ ...azureInput(), expectedQualifyingData: Buffer.from([1, 2, 3, 4]) }), {
    constructor: VerificationError,
    code: 'QUOTE_NONCE_MISMATCH',
    message: 'Expected extraData 01020304 (4 bytes), got 63686161… (9 bytes)'.replace('63686161', '6368616c'),
  });
  const sig = Buffer.from(azureQuote().signature).reverse();
  const signature = marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256, sig });
  t.throws(() => verifyQuote({ ...azureInput(), signature }), {
    constructor: VerificationError,
    code: 'QUOTE_SIGNATURE_INVALID',
  });
  t.end();
});

for (const file of ['gce-cos-85-nonce9009.pb', 'gce-cos-85-no-nonce.pb'] as const) {
  t.test(
    `GCE ${file}: all three bank quotes verify with SHA-256 signatures and the endorsement-hierarchy signer`,
    (t) => {
      const gcp = gcpAttestation(file);
      const akQualifiedName = qualifiedName(hierarchyQualifiedName(TPM_RH.ENDORSEMENT), gcp.akName);
      t.equal(gcp.quotes.length, 3);
      for (const q of gcp.quotes) {
        const verified = verifyQuote({
          akPublic: gcp.akPublic,
          attest: q.attest,
          signature: q.signature,
          expectedQualifyingData: q.nonce,
          pcrs: q.pcrs,
          akQualifiedName,
        });
        t.same(verified.selection, { [q.bank]: ALL_PCRS }, q.bank);
        t.same(verified.pcrs, q.pcrs, q.bank);
      }
      t.end();
    },
  );
}

t.test('Windows GCP quote: a SHA-1 signature is refused by default and accepted with allowSha1', (t) => {
  const w = windowsQuote();
  const input = {
    akPublic: w.akPublic,
    attest: w.attest,
    signature: w.signature,
    expectedQualifyingData: w.nonce,
    pcrs: w.pcrs,
  };
  t.throws(() => verifyQuote(input), {
    constructor: VerificationError,
    code: 'QUOTE_SHA1_REFUSED',
    message: /allowSha1: true/,
  });
  const verified = verifyQuote({ ...input, allowSha1: true, akQualifiedName: w.qualifiedSigner });
  t.same(verified.selection, { sha1: ALL_PCRS });
  t.equal(Object.keys(verified.pcrs.sha1 ?? {}).length, 24);
  t.end();
});

t.test('Windows AK creation attestation: validly signed by the AK but not a quote', (t) => {
  const w = windowsQuote();
  t.throws(
    () =>
      verifyQuote({
        akPublic: w.akPublic,
        attest: w.creationAttest,
        signature: w.creationSignature,
        expectedQualifyingData: Buffer.alloc(0),
        pcrs: {},
        allowSha1: true,
      }),
    {
      constructor: VerificationError,
      code: 'QUOTE_TYPE_INVALID',
      message: 'Expected TPMS_ATTEST type TPM_ST_ATTEST_QUOTE 8018, got TPM_ST_ATTEST_CREATION 801a',
    },
  );
  t.end();
});

// One field changed per case, on the GCE SHA-256 bank quote (nonce 9009).
function gcpInput(): QuoteInput & { attest: Buffer; signature: Buffer } {
  const gcp = gcpAttestation('gce-cos-85-nonce9009.pb');
  const q = gcp.quotes.find((quote) => quote.bank === 'sha256')!;
  return {
    akPublic: gcp.akPublic,
    attest: q.attest,
    signature: q.signature,
    expectedQualifyingData: q.nonce,
    pcrs: q.pcrs,
  };
}

t.test('table: one field changed per case', (t) => {
  const base = gcpInput();
  const sha256 = base.pcrs.sha256!;
  const extraDataOffset = 4 + 2 + 2 + 34 + 2;
  const otherSigner = qualifiedName(
    hierarchyQualifiedName(TPM_RH.OWNER),
    objectName(parsePublic(base.akPublic as Buffer)),
  );
  const cases: [string, Partial<QuoteInput>, string, (typeof VerificationError | typeof InputError)?][] = [
    ['attest magic byte flipped', { attest: flip(base.attest, 0) }, 'QUOTE_SIGNATURE_INVALID'],
    ['attest type byte flipped', { attest: flip(base.attest, 5) }, 'QUOTE_SIGNATURE_INVALID'],
    ['attest qualifiedSigner byte flipped', { attest: flip(base.attest, 10) }, 'QUOTE_SIGNATURE_INVALID'],
    ['attest extraData byte flipped', { attest: flip(base.attest, extraDataOffset) }, 'QUOTE_SIGNATURE_INVALID'],
    ['attest clock byte flipped', { attest: flip(base.attest, extraDataOffset + 4) }, 'QUOTE_SIGNATURE_INVALID'],
    ['attest pcrDigest byte flipped', { attest: flip(base.attest, -1) }, 'QUOTE_SIGNATURE_INVALID'],
    ['signature byte flipped', { signature: flip(base.signature, -1) }, 'QUOTE_SIGNATURE_INVALID'],
    ['another AK (Azure)', { akPublic: publicFromKey(azureAkKey()) }, 'QUOTE_SIGNATURE_INVALID'],
    [
      'signature scheme RSAPSS for an RSASSA AK',
      { signature: withU16(base.signature, 0, TPM_ALG.RSAPSS) },
      'QUOTE_SIGNATURE_SCHEME_MISMATCH',
    ],
    [
      'signature hash SHA-384 for a SHA-256 AK',
      { signature: withU16(base.signature, 2, TPM_ALG.SHA384) },
      'QUOTE_SIGNATURE_SCHEME_MISMATCH',
    ],
    [
      'RSA signature longer than the modulus',
      {
        signature: marshalSignature({
          kind: 'rsa',
          sigAlg: TPM_ALG.RSASSA,
          hashAlg: TPM_ALG.SHA256,
          sig: Buffer.alloc(257, 1),
        }),
      },
      'QUOTE_SIGNATURE_INVALID',
    ],
    ['wrong nonce', { expectedQualifyingData: Buffer.from('9008', 'hex') }, 'QUOTE_NONCE_MISMATCH'],
    ['empty nonce expected', { expectedQualifyingData: Buffer.alloc(0) }, 'QUOTE_NONCE_MISMATCH'],
    [
      'PCR 7 missing',
      { pcrs: { sha256: Object.fromEntries(Object.entries(sha256).filter(([i]) => i !== '7')) } },
      'QUOTE_PCR_MISSING',
    ],
    [
      'PCR from a bank not in the selection',
      { pcrs: { ...base.pcrs, sha1: { 0: Buffer.alloc(20) } } },
      'QUOTE_PCR_NOT_SIGNED',
    ],
    ['PCR 24 not in the selection', { pcrs: { sha256: { ...sha256, 24: Buffer.alloc(32) } } }, 'QUOTE_PCR_NOT_SIGNED'],
    ['wrong PCR 4 value', { pcrs: { sha256: { ...sha256, 4: flip(sha256[4]!, 0) } } }, 'QUOTE_PCR_DIGEST_MISMATCH'],
    [
      'PCR value of the wrong size',
      { pcrs: { sha256: { ...sha256, 4: Buffer.alloc(20) } } },
      'INVALID_ARGUMENT',
      InputError,
    ],
    ['signer from the owner hierarchy', { akQualifiedName: otherSigner }, 'QUOTE_SIGNER_MISMATCH'],
    ['attest truncated', { attest: base.attest.subarray(0, base.attest.length - 1) }, 'TPM_STRUCTURE_MALFORMED'],
    ['signature truncated', { signature: base.signature.subarray(0, 100) }, 'TPM_STRUCTURE_MALFORMED'],
    ['AK public truncated', { akPublic: (base.akPublic as Buffer).subarray(0, 50) }, 'TPM_STRUCTURE_MALFORMED'],
  ];
  verifyQuote(base);
  for (const [name, change, code, errorClass] of cases) {
    t.throws(() => verifyQuote({ ...base, ...change }), { constructor: errorClass ?? VerificationError, code }, name);
  }
  t.end();
});

t.test('messages name bank and index and show only short fingerprints', (t) => {
  const base = gcpInput();
  const sha256 = base.pcrs.sha256!;
  t.throws(() => verifyQuote({ ...base, pcrs: { sha256: { ...sha256, 24: Buffer.alloc(32) } } }), {
    message: "PCR[24] (sha256) was supplied but is not in the quote's signed selection",
  });
  t.throws(
    () =>
      verifyQuote({ ...base, pcrs: { sha256: Object.fromEntries(Object.entries(sha256).filter(([i]) => i !== '7')) } }),
    {
      message: 'PCR[7] (sha256) is in the signed selection but no value was supplied',
    },
  );
  const longNonce = Buffer.alloc(32, 0xab);
  t.throws(() => verifyQuote({ ...base, expectedQualifyingData: longNonce }), {
    message: 'Expected extraData abababab… (32 bytes), got 9009 (2 bytes)',
  });
  t.end();
});

const KINDS: SyntheticAk[] = ['rsa-rsassa', 'rsa-rsapss', 'ecc-p256', 'ecc-p384'];

t.test('synthetic quotes: every AK kind verifies; magic and type are checked after the signature', (t) => {
  for (const kind of KINDS) {
    const key = syntheticAk(kind);
    const good = syntheticQuote(key);
    const input = {
      akPublic: key.akPublic,
      attest: good.attest,
      signature: good.signature,
      expectedQualifyingData: good.nonce,
      pcrs: good.pcrs,
    };
    t.same(verifyQuote(input).pcrs, good.pcrs, kind);
    t.same(
      verifyQuote({ ...input, akPublic: key.akPublic.raw }).selection,
      { sha256: [0, 1, 2, 3, 4, 5, 6, 7] },
      `${kind} from bytes`,
    );

    const badMagic = syntheticQuote(key, undefined, { magic: 0xff544348 });
    t.throws(
      () =>
        verifyQuote({
          ...input,
          attest: badMagic.attest,
          signature: badMagic.signature,
          expectedQualifyingData: Buffer.from('other'),
        }),
      {
        constructor: VerificationError,
        code: 'QUOTE_MAGIC_INVALID',
        message: 'Expected TPMS_ATTEST magic ff544347, got ff544348',
      },
      `${kind} wrong magic (checked before the nonce)`,
    );
    const certify = syntheticQuote(key, undefined, { type: TPM_ST.ATTEST_CERTIFY });
    t.throws(
      () => verifyQuote({ ...input, attest: certify.attest, signature: certify.signature }),
      {
        code: 'QUOTE_TYPE_INVALID',
        message: /got TPM_ST_ATTEST_CERTIFY 8017/,
      },
      `${kind} certify type`,
    );
    const unknownType = syntheticQuote(key, undefined, { type: 0x8118 });
    t.throws(
      () => verifyQuote({ ...input, attest: unknownType.attest, signature: unknownType.signature }),
      {
        code: 'QUOTE_TYPE_INVALID',
        message: /got unknown tag 8118/,
      },
      `${kind} unknown type`,
    );
  }
  t.end();
});

t.test('a signature made for another key type is a scheme mismatch', (t) => {
  const ecc = syntheticAk('ecc-p256');
  const rsa = syntheticAk('rsa-rsassa');
  const q = syntheticQuote(ecc);
  t.throws(
    () =>
      verifyQuote({
        akPublic: rsa.akPublic,
        attest: q.attest,
        signature: q.signature,
        expectedQualifyingData: q.nonce,
        pcrs: q.pcrs,
      }),
    {
      constructor: VerificationError,
      code: 'QUOTE_SIGNATURE_SCHEME_MISMATCH',
      message:
        /Expected a TPM_ALG_RSASSA \(0x0014\) with TPM_ALG_SHA256 \(0x000b\) signature for this RSA AK, got TPM_ALG_ECDSA/,
    },
  );
  t.end();
});

t.test('a NULL-scheme AK accepts any scheme of its key type; the digest hash is the signature hash', (t) => {
  const key = syntheticAk('ecc-p384', { scheme: null });
  const selection = { sha384: [0, 23], sha1: [1, 2] };
  const q = syntheticQuote(key, selection, {}, 'sha384');
  const verified = verifyQuote({
    akPublic: key.akPublic,
    attest: q.attest,
    signature: q.signature,
    expectedQualifyingData: q.nonce,
    pcrs: q.pcrs,
  });
  t.same(verified.attest.quote?.banks, ['sha384', 'sha1']);
  t.same(Object.keys(verified.pcrs), ['sha384', 'sha1']);
  // Same PCRs supplied in the other key order: the TPML order decides, so this still verifies.
  const reordered = { sha1: q.pcrs.sha1!, sha384: q.pcrs.sha384! };
  t.ok(
    verifyQuote({
      akPublic: key.akPublic,
      attest: q.attest,
      signature: q.signature,
      expectedQualifyingData: q.nonce,
      pcrs: reordered,
    }),
  );
  // A digest over the banks in the other order does not match.
  const swapped = syntheticQuote(
    key,
    selection,
    {
      extraData: q.nonce,
      attested: marshalQuoteInfo(
        selection,
        pcrDigest({ sha1: [1, 2], sha384: [0, 23] }, pcrValuesFor(selection), 'sha384'),
      ),
    },
    'sha384',
  );
  t.throws(
    () =>
      verifyQuote({
        akPublic: key.akPublic,
        attest: swapped.attest,
        signature: swapped.signature,
        expectedQualifyingData: q.nonce,
        pcrs: q.pcrs,
      }),
    {
      code: 'QUOTE_PCR_DIGEST_MISMATCH',
    },
  );
  t.end();
});

t.test('an empty selection with no PCRs supplied verifies to no PCRs', (t) => {
  const key = syntheticAk('ecc-p256');
  const q = syntheticQuote(key, {});
  const verified = verifyQuote({
    akPublic: key.akPublic,
    attest: q.attest,
    signature: q.signature,
    expectedQualifyingData: q.nonce,
    pcrs: {},
  });
  t.same(verified.pcrs, {});
  t.same(verified.selection, {});
  t.end();
});
