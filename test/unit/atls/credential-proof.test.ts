// proveAttestedAk refuses documents that cannot be proven before calling the server, and any answer that is
// not the wrapped secret (the positive path and the relay need TPMs: test/integration/atls/ak-proof.test.ts).
import t from 'tap';
import { VerificationError } from '../../../lib/errors.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import { AK_ACTIVATION_FAILED, proveAttestedAk } from '../../../lib/atls/credential-proof.js';
import { rejectsCode } from '../attestation/verify/expect-error.js';

function document(tpm: Partial<NonNullable<AttestationDocument['tpm']>> | undefined): AttestationDocument {
  return {
    version: 1,
    variant: 'qemu-vtpm',
    ...(tpm === undefined ? {} : { tpm: { akPublic: Buffer.alloc(0), quotes: [], akCertificateChain: [], ...tpm } }),
  };
}

t.test('no TPM evidence, no EK certificate or unparsable parts: refused without calling the server', async (t) => {
  let calls = 0;
  const activate = (): Promise<Buffer> => {
    calls += 1;
    return Promise.resolve(Buffer.alloc(32));
  };
  await rejectsCode(
    t,
    () => proveAttestedAk(document(undefined), activate),
    VerificationError,
    AK_ACTIVATION_FAILED,
    /without TPM evidence/,
  );
  await rejectsCode(
    t,
    () => proveAttestedAk(document({ ekCertificate: Buffer.alloc(0) }), activate),
    VerificationError,
    AK_ACTIVATION_FAILED,
    /without an EK certificate/,
  );
  await rejectsCode(
    t,
    () => proveAttestedAk(document({ ekCertificate: Buffer.from('not DER') }), activate),
    VerificationError,
    AK_ACTIVATION_FAILED,
    /does not parse/,
  );
  t.equal(calls, 0);
});
