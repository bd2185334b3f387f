import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { VerificationError } from '../../../lib/errors.js';
import { assertAttestationKey } from '../../../lib/tpm/attestation-key.js';
import { parsePublic } from '../../../lib/tpm/public-area.js';
import { publicFromKey } from '../../../lib/tpm/public-marshal.js';
import { TPMA_OBJECT } from '../../../lib/tpm/tpm-constants.js';
import { gcpAttestation, windowsQuote } from './tpm-vectors.js';

t.test('real AKs (GCE, Windows) are restricted signing keys', (t) => {
  t.doesNotThrow(() => {
    assertAttestationKey(parsePublic(gcpAttestation('gce-cos-85-no-nonce.pb').akPublic));
  });
  t.doesNotThrow(() => {
    assertAttestationKey(parsePublic(windowsQuote().akPublic));
  });
  t.end();
});

t.test('an unrestricted or decrypting key is not an AK', (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const unrestricted = publicFromKey(publicKey, {
    objectAttributes: TPMA_OBJECT.fixedTPM | TPMA_OBJECT.sign,
    scheme: null,
  });
  t.throws(
    () => {
      assertAttestationKey(unrestricted);
    },
    {
      constructor: VerificationError,
      code: 'TPM_AK_ATTRIBUTES_INVALID',
      message: /got objectAttributes 0x40002: fixedParent missing, sensitiveDataOrigin missing, restricted missing/,
    },
  );
  const decrypting = publicFromKey(publicKey, { objectAttributes: 0x50072 | TPMA_OBJECT.decrypt, scheme: null });
  t.throws(
    () => {
      assertAttestationKey(decrypting);
    },
    { code: 'TPM_AK_ATTRIBUTES_INVALID', message: /decrypt set/ },
  );
  t.end();
});
