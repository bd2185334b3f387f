// tpm2-tools quotes from a swtpm, verified by our pure-TypeScript verifier.
import t from 'tap';
import { VerificationError } from '../../../lib/errors.js';
import { hierarchyQualifiedName, objectName, qualifiedName } from '../../../lib/tpm/object-name.js';
import { parsePublic, parsePublic2B } from '../../../lib/tpm/public-area.js';
import { verifyQuote, type QuoteInput } from '../../../lib/tpm/quote-verifier.js';
import { assertAttestationKey } from '../../../lib/tpm/attestation-key.js';
import { TPM_RH, TPM_ST } from '../../../lib/tpm/tpm-constants.js';
import { swtpmFor } from '../../helpers/swtpm.js';
import { Tpm2Tools, parseTpm2ToolsPcrs, pcrList } from './tpm2-tools.js';

const ALL = Array.from({ length: 24 }, (_, i) => i);
const NONCE = Buffer.from('5d2f8a1e0c9b4477a3e6f01d2c3b4a59', 'hex');

interface Enrolled {
  readonly tools: Tpm2Tools;
  readonly akPublic: Buffer;
  /** The qualified name tpm2_createak printed. */
  readonly toolQualifiedName: Buffer;
  readonly ekName: Buffer;
}

/** EK (RSA) and an AK of `akAlg` under it, as tpm2_createek/tpm2_createak make them. */
async function enroll(tools: Tpm2Tools, akAlg: 'rsa' | 'ecc'): Promise<Enrolled> {
  await tools.exec('tpm2_createek', ['-c', 'ek.ctx', '-G', 'rsa', '-u', 'ek.pub']);
  const scheme = akAlg === 'rsa' ? 'rsassa' : 'ecdsa';
  const out = await tools.exec('tpm2_createak', [
    ...['-C', 'ek.ctx', '-c', 'ak.ctx', '-G', akAlg, '-g', 'sha256', '-s', scheme],
    ...['-u', 'ak.pub', '-f', 'tpmt', '-n', 'ak.name'],
  ]);
  const qn = /qualified name: ([0-9a-f]+)/.exec(out)?.[1];
  if (qn === undefined) throw new Error(`tpm2_createak printed no qualified name:\n${out}`);
  return {
    tools,
    akPublic: await tools.read('ak.pub'),
    toolQualifiedName: Buffer.from(qn, 'hex'),
    ekName: objectName(parsePublic2B(await tools.read('ek.pub'))),
  };
}

async function quote(
  tools: Tpm2Tools,
  list: string,
  nonce: Buffer,
): Promise<Pick<QuoteInput, 'attest' | 'signature' | 'pcrs'>> {
  await tools.exec('tpm2_quote', [
    ...['-c', 'ak.ctx', '-l', list, '-q', nonce.toString('hex'), '-g', 'sha256'],
    ...['-m', 'quote.attest', '-s', 'quote.sig', '-o', 'quote.pcrs'],
  ]);
  return {
    attest: await tools.read('quote.attest'),
    signature: await tools.read('quote.sig'),
    pcrs: parseTpm2ToolsPcrs(await tools.read('quote.pcrs')),
  };
}

for (const akAlg of ['rsa', 'ecc'] as const) {
  t.test(`${akAlg.toUpperCase()} AK: tpm2_quote over sha256 PCR 0-23 verifies`, async (t) => {
    const swtpm = await swtpmFor(t);
    const ak = await enroll(await Tpm2Tools.forTest(t, swtpm.tcti), akAlg);
    const akQualifiedName = qualifiedName(
      qualifiedName(hierarchyQualifiedName(TPM_RH.ENDORSEMENT), ak.ekName),
      objectName(parsePublic(ak.akPublic)),
    );
    t.same(akQualifiedName, ak.toolQualifiedName, 'our qualified name equals the one tpm2_createak printed');
    t.same(objectName(parsePublic(ak.akPublic)), await ak.tools.read('ak.name'), 'our name equals tpm2_createak -n');

    const q = await quote(ak.tools, pcrList({ sha256: ALL }), NONCE);
    const verified = verifyQuote({ akPublic: ak.akPublic, ...q, expectedQualifyingData: NONCE, akQualifiedName });
    t.same(verified.selection, { sha256: ALL });
    t.same(verified.pcrs, q.pcrs);

    t.throws(() => verifyQuote({ akPublic: ak.akPublic, ...q, expectedQualifyingData: Buffer.from('another nonce') }), {
      constructor: VerificationError,
      code: 'QUOTE_NONCE_MISMATCH',
    });
    const sha256 = q.pcrs.sha256!;
    t.throws(
      () =>
        verifyQuote({
          akPublic: ak.akPublic,
          ...q,
          pcrs: { sha256: { ...sha256, 0: Buffer.alloc(32, 1) } },
          expectedQualifyingData: NONCE,
        }),
      { constructor: VerificationError, code: 'QUOTE_PCR_DIGEST_MISMATCH' },
    );
  });
}

t.test(
  'multi-bank quote (sha1+sha256+sha384): digest over banks in TPML order with the SHA-256 signing hash',
  async (t) => {
    const swtpm = await swtpmFor(t);
    const ak = await enroll(await Tpm2Tools.forTest(t, swtpm.tcti), 'ecc');
    await ak.tools.exec('tpm2_pcrextend', [
      `7:sha1=${'ab'.repeat(20)},sha256=${'cd'.repeat(32)},sha384=${'ef'.repeat(48)}`,
    ]);
    const selection = { sha384: [0, 7, 23], sha1: [7], sha256: [0, 1, 7] };
    const q = await quote(ak.tools, pcrList(selection), NONCE);
    const verified = verifyQuote({ akPublic: ak.akPublic, ...q, expectedQualifyingData: NONCE });
    t.same(verified.attest.quote?.banks, ['sha384', 'sha1', 'sha256']);
    t.same(verified.selection, selection);
    t.notSame(verified.pcrs.sha256?.[7], Buffer.alloc(32), 'the extended PCR is not zero');
  },
);

t.test('an AK from another TPM does not verify the quote', async (t) => {
  const first = await enroll(await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti), 'ecc');
  const second = await enroll(await Tpm2Tools.forTest(t, (await swtpmFor(t)).tcti), 'ecc');
  const q = await quote(first.tools, pcrList({ sha256: [0, 1, 2] }), NONCE);
  t.throws(() => verifyQuote({ akPublic: second.akPublic, ...q, expectedQualifyingData: NONCE }), {
    constructor: VerificationError,
    code: 'QUOTE_SIGNATURE_INVALID',
  });
});

t.test(
  'crafted blobs: the TPM refuses to sign TPM-generated-looking data with an AK; other forgeries fail our checks',
  async (t) => {
    const swtpm = await swtpmFor(t);
    const ak = await enroll(await Tpm2Tools.forTest(t, swtpm.tcti), 'ecc');
    const tools = ak.tools;
    const q = await quote(tools, pcrList({ sha256: [0, 1, 2] }), NONCE);
    const attest = Buffer.from(q.attest);

    // A restricted key only signs a digest with a ticket; TPM2_Hash gives a NULL ticket for data that
    // starts with TPM_GENERATED_VALUE, so a forged quote cannot be signed by the AK.
    await tools.write('forged-quote.bin', attest);
    await tools.exec('tpm2_hash', [
      '-C',
      'e',
      '-g',
      'sha256',
      '-t',
      'forged.ticket',
      '-o',
      'forged.digest',
      'forged-quote.bin',
    ]);
    await t.rejects(
      tools.exec('tpm2_sign', [
        '-c',
        'ak.ctx',
        '-g',
        'sha256',
        '-d',
        '-t',
        'forged.ticket',
        '-o',
        'forged.sig',
        'forged.digest',
      ]),
      {
        message: /invalid ticket/,
      },
    );

    // Wrong magic: signable by the AK (the ticket is valid), refused by the verifier.
    const wrongMagic = Buffer.from(attest);
    wrongMagic.writeUInt32BE(0xfe544347, 0);
    await tools.write('wrong-magic.bin', wrongMagic);
    await tools.exec('tpm2_hash', [
      '-C',
      'e',
      '-g',
      'sha256',
      '-t',
      'magic.ticket',
      '-o',
      'magic.digest',
      'wrong-magic.bin',
    ]);
    await tools.exec('tpm2_sign', [
      '-c',
      'ak.ctx',
      '-g',
      'sha256',
      '-d',
      '-t',
      'magic.ticket',
      '-o',
      'magic.sig',
      'magic.digest',
    ]);
    t.throws(
      () =>
        verifyQuote({
          akPublic: ak.akPublic,
          attest: wrongMagic,
          signature: tools.readSync('magic.sig'),
          pcrs: q.pcrs,
          expectedQualifyingData: NONCE,
        }),
      {
        constructor: VerificationError,
        code: 'QUOTE_MAGIC_INVALID',
        message: 'Expected TPMS_ATTEST magic ff544347, got fe544347',
      },
    );

    // Correct magic, wrong type: only an unrestricted signing key signs it (tpm2_create, no ticket needed).
    await tools.exec('tpm2_createprimary', ['-C', 'o', '-c', 'primary.ctx']);
    await tools.exec('tpm2_create', [
      ...['-C', 'primary.ctx', '-G', 'ecc', '-u', 'signer.pub', '-r', 'signer.priv'],
      ...['-a', 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'],
    ]);
    await tools.exec('tpm2_load', ['-C', 'primary.ctx', '-u', 'signer.pub', '-r', 'signer.priv', '-c', 'signer.ctx']);
    const wrongType = Buffer.from(attest);
    wrongType.writeUInt16BE(TPM_ST.ATTEST_CERTIFY, 4);
    await tools.write('wrong-type.bin', wrongType);
    await tools.exec('tpm2_sign', [
      '-c',
      'signer.ctx',
      '-g',
      'sha256',
      '-s',
      'ecdsa',
      '-o',
      'type.sig',
      'wrong-type.bin',
    ]);
    const signer = parsePublic2B(await tools.read('signer.pub'));
    t.throws(
      () => {
        assertAttestationKey(signer);
      },
      { constructor: VerificationError, code: 'TPM_AK_ATTRIBUTES_INVALID', message: /restricted missing/ },
      'enrollment would refuse this key as an AK',
    );
    t.doesNotThrow(() => {
      assertAttestationKey(parsePublic(ak.akPublic));
    }, 'the tpm2_createak key is a proper AK');
    t.throws(
      () =>
        verifyQuote({
          akPublic: signer,
          attest: wrongType,
          signature: tools.readSync('type.sig'),
          pcrs: q.pcrs,
          expectedQualifyingData: NONCE,
        }),
      { constructor: VerificationError, code: 'QUOTE_TYPE_INVALID', message: /got TPM_ST_ATTEST_CERTIFY 8017/ },
    );
  },
);
