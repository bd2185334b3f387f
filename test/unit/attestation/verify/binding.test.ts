import t from 'tap';
import { createHash } from 'node:crypto';
import { InputError } from '../../../../lib/errors.js';
import { BINDING_DOMAIN, computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { throwsCode } from './expect-error.js';

const nonce = Buffer.alloc(32, 0xaa);
const key = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

t.test('known answer: SHA-256(label ‖ u32 nonce length ‖ nonce ‖ binding)', (t) => {
  const expected = createHash('sha256')
    .update('constellation-attestation-v1')
    .update(Buffer.from([0, 0, 0, 32]))
    .update(nonce)
    .update(key)
    .digest();
  t.equal(BINDING_DOMAIN, 'constellation-attestation-v1');
  t.same(computeBinding(nonce, key), expected);
  t.equal(computeBinding(nonce, key).length, 32);
  t.end();
});

t.test('every input changes the binding; moving bytes between nonce and key does too', (t) => {
  const base = computeBinding(nonce, key).toString('hex');
  t.not(computeBinding(Buffer.alloc(32, 0xab), key).toString('hex'), base);
  t.not(computeBinding(nonce, Buffer.concat([key, Buffer.from([0])])).toString('hex'), base);
  // Without the length prefix these two would hash the same bytes.
  const shifted = computeBinding(Buffer.concat([nonce, key.subarray(0, 1)]), key.subarray(1)).toString('hex');
  t.not(shifted, base);
  t.end();
});

t.test('a short or missing nonce is refused', (t) => {
  throwsCode(
    t,
    () => computeBinding(Buffer.alloc(15), key),
    InputError,
    'INVALID_ARGUMENT',
    /at least 16 bytes for nonce/,
  );
  throwsCode(t, () => computeBinding(Buffer.alloc(0), key), InputError, 'INVALID_ARGUMENT');
  throwsCode(t, () => computeBinding('nonce' as unknown as Uint8Array, key), InputError, 'INVALID_ARGUMENT');
  t.end();
});
