import fc from 'fast-check';
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { computeBinding } from '../../../lib/attestation/verify/binding.js';
import {
  MAX_NONCE_BYTES,
  MIN_NONCE_BYTES,
  PURPOSE_LABEL,
  checkNonce,
  parseHexNonce,
} from '../../../agents/verification/purpose.js';

t.test('the purpose label is fixed and differs the binding from any other purpose', (t) => {
  t.equal(PURPOSE_LABEL.toString('utf8'), 'constellation-verification-service-v1');
  const nonce = Buffer.alloc(32, 7);
  t.not(computeBinding(nonce, PURPOSE_LABEL).toString('hex'), computeBinding(nonce, Buffer.alloc(91)).toString('hex'));
  t.end();
});

t.test('binary nonces: 16..64 bytes accepted, others InputError INVALID_ARGUMENT', (t) => {
  t.equal(checkNonce(Buffer.alloc(MIN_NONCE_BYTES)).length, 16);
  t.equal(checkNonce(new Uint8Array(MAX_NONCE_BYTES)).length, 64);
  for (const bad of [Buffer.alloc(15), Buffer.alloc(65), Buffer.alloc(0), 'x'.repeat(32), undefined]) {
    t.throws(() => checkNonce(bad), {
      constructor: InputError,
      code: 'INVALID_ARGUMENT',
      message: /^Expected 16\.\.64 bytes for nonce but received /,
    });
  }
  t.end();
});

t.test('hex nonces: round trip for every valid length, rejects the rest', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (bytes) => {
      const hex = Buffer.from(bytes).toString('hex');
      return (
        parseHexNonce(hex).equals(Buffer.from(bytes)) && parseHexNonce(hex.toUpperCase()).equals(Buffer.from(bytes))
      );
    }),
  );
  for (const bad of [
    undefined,
    '',
    '0'.repeat(31),
    '00'.repeat(15),
    '00'.repeat(65),
    'zz'.repeat(16),
    ' ' + '00'.repeat(16),
    '0x' + '00'.repeat(16),
  ]) {
    t.throws(() => parseHexNonce(bad), { constructor: InputError, code: 'INVALID_ARGUMENT' }, `rejects ${String(bad)}`);
  }
  t.end();
});
