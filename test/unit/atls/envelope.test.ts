// Envelope sealing to an ephemeral P-256 key: round trip, and ENVELOPE_INVALID for every mismatch.
import t from 'tap';
import { ECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { VerificationError } from '../../../lib/errors.js';
import { openSealed, sealTo } from '../../../lib/atls/envelope.js';
import { throwsCode } from '../attestation/verify/expect-error.js';

const node = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const nodeSpki = node.publicKey.export({ type: 'spki', format: 'der' });
const aad = Buffer.from('request-digest-0123');
const ticket = randomBytes(200);

t.test('round trip; two seals of the same plaintext differ', (t) => {
  const sealed = sealTo(nodeSpki, ticket, aad);
  t.same(openSealed(node.privateKey, sealed, aad), ticket);
  t.notSame(sealTo(nodeSpki, ticket, aad), sealed);
  t.equal(sealed.indexOf(ticket.subarray(0, 16)), -1, 'plaintext does not appear');
  t.same(openSealed(node.privateKey, sealTo(nodeSpki, Buffer.alloc(0), aad), aad), Buffer.alloc(0));
  t.same(openSealed(node.privateKey, sealTo(node.publicKey, ticket, aad), aad), ticket, 'to a parsed KeyObject');
  const compressed = Buffer.concat([
    Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    ECDH.convertKey(nodeSpki.subarray(26), 'prime256v1', undefined, undefined, 'compressed') as Buffer,
  ]);
  t.same(openSealed(node.privateKey, sealTo(compressed, ticket, aad), aad), ticket, 'to a compressed-point SPKI');
  t.end();
});

t.test('another private key cannot open it', (t) => {
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  throwsCode(
    t,
    () => openSealed(other.privateKey, sealTo(nodeSpki, ticket, aad), aad),
    VerificationError,
    'ENVELOPE_INVALID',
  );
  t.end();
});

t.test('every tampered byte is detected', (t) => {
  const sealed = sealTo(nodeSpki, ticket, aad);
  for (const index of [0, 2, 10, 100, sealed.length - 200, sealed.length - 1]) {
    const tampered = Buffer.from(sealed);
    tampered[index] = (tampered[index] ?? 0) ^ 0x40;
    throwsCode(t, () => openSealed(node.privateKey, tampered, aad), VerificationError, 'ENVELOPE_INVALID');
  }
  throwsCode(t, () => openSealed(node.privateKey, sealed.subarray(0, 20), aad), VerificationError, 'ENVELOPE_INVALID');
  t.end();
});

t.test('another aad (other request) is refused', (t) => {
  throwsCode(
    t,
    () => openSealed(node.privateKey, sealTo(nodeSpki, ticket, aad), Buffer.from('other')),
    VerificationError,
    'ENVELOPE_INVALID',
  );
  t.end();
});

t.test('sealing to a non-P-256 key is refused', (t) => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  throwsCode(t, () => sealTo(ed, ticket, aad), VerificationError, 'ENVELOPE_INVALID', /P-256/);
  throwsCode(t, () => sealTo(randomBytes(91), ticket, aad), VerificationError, 'ENVELOPE_INVALID');
  const offCurve = Buffer.concat([nodeSpki.subarray(0, 27), Buffer.alloc(64, 7)]);
  throwsCode(t, () => sealTo(offCurve, ticket, aad), VerificationError, 'ENVELOPE_INVALID', /point on P-256/);
  const edKey = generateKeyPairSync('ed25519').publicKey;
  throwsCode(t, () => sealTo(edKey, ticket, aad), VerificationError, 'ENVELOPE_INVALID', /P-256/);
  throwsCode(t, () => sealTo(node.privateKey, ticket, aad), VerificationError, 'ENVELOPE_INVALID', /not a public/);
  t.end();
});
