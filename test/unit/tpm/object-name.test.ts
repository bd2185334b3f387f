import t from 'tap';
import { createHash } from 'node:crypto';
import { InputError, VerificationError } from '../../../lib/errors.js';
import { hierarchyQualifiedName, objectName, qualifiedName } from '../../../lib/tpm/object-name.js';
import { parsePublic } from '../../../lib/tpm/public-area.js';
import { parseAttest } from '../../../lib/tpm/attest.js';
import { TPM_ALG, TPM_RH } from '../../../lib/tpm/tpm-constants.js';
import { gcpAttestation, windowsQuote } from './tpm-vectors.js';

t.test('AK names equal the recorded Esys_TR_GetName values', (t) => {
  const gcp = gcpAttestation('gce-cos-85-nonce9009.pb');
  t.equal(objectName(parsePublic(gcp.akPublic)).toString('hex'), gcp.akName.toString('hex'));
  t.equal(gcp.akName.toString('hex'), '000bf175bdb57297b2b289973f819863d6c9d09c236725676914f4248c9a2404c2a4');
  const windows = windowsQuote();
  t.equal(objectName(parsePublic(windows.akPublic)).toString('hex'), windows.akName.toString('hex'));
  t.end();
});

t.test('the name is nameAlg followed by the digest of the TPMT_PUBLIC (second computation)', (t) => {
  const { akPublic } = gcpAttestation('gce-cos-85-no-nonce.pb');
  const expected = Buffer.concat([Buffer.from([0x00, 0x0b]), createHash('sha256').update(akPublic).digest()]);
  t.same(objectName(parsePublic(akPublic)), expected);
  t.end();
});

t.test('the GCE AK is an endorsement-hierarchy primary: QN(endorsement, name) is the quote signer', (t) => {
  const gcp = gcpAttestation('gce-cos-85-nonce9009.pb');
  const qn = qualifiedName(hierarchyQualifiedName(TPM_RH.ENDORSEMENT), gcp.akName);
  for (const quote of gcp.quotes) t.same(parseAttest(quote.attest).qualifiedSigner, qn, quote.bank);
  t.notSame(qualifiedName(hierarchyQualifiedName(TPM_RH.OWNER), gcp.akName), qn);
  t.equal(hierarchyQualifiedName(TPM_RH.ENDORSEMENT).toString('hex'), '4000000b');
  t.end();
});

t.test('a NULL nameAlg has no name; a malformed name cannot be qualified', (t) => {
  const pub = parsePublic(gcpAttestation('gce-cos-85-nonce9009.pb').akPublic);
  t.throws(() => objectName({ ...pub, nameAlg: TPM_ALG.NULL }), {
    constructor: VerificationError,
    code: 'TPM_NAME_UNAVAILABLE',
    message: /TPM_ALG_NULL/,
  });
  t.throws(() => qualifiedName(Buffer.alloc(4), Buffer.from('000b0102', 'hex')), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.throws(() => qualifiedName(Buffer.alloc(4), Buffer.alloc(1)), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});
