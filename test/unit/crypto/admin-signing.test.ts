import t from 'tap';
import { VerificationError } from '../../../lib/errors.js';
import {
  adminSigningKey,
  generateMasterSecret,
  signPolicyUpdate,
  verifyPolicyUpdate,
  type MasterSecret,
} from '../../../lib/crypto/index.js';

const secret: MasterSecret = { key: Buffer.alloc(32, 1), salt: Buffer.alloc(32, 2) };
const policy = Buffer.from('{"pcrs":{"4":"00"}}');

t.test('the admin key is derived deterministically from the master secret', (t) => {
  const a = adminSigningKey(secret);
  const b = adminSigningKey({ key: Buffer.from(secret.key), salt: Buffer.from(secret.salt) });
  t.equal(a.publicKey.asymmetricKeyType, 'ed25519');
  t.same(a.publicKey.export({ format: 'der', type: 'spki' }), b.publicKey.export({ format: 'der', type: 'spki' }));
  const other = adminSigningKey(generateMasterSecret());
  t.not(
    a.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
    other.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  );
  t.end();
});

t.test('a signed update verifies; tampering, another key or another version is rejected', (t) => {
  const { privateKey, publicKey } = adminSigningKey(secret);
  const signature = signPolicyUpdate(privateKey, policy, 7n);
  t.doesNotThrow(() => {
    verifyPolicyUpdate(publicKey, policy, 7n, signature);
  });
  const tamperedSignature = Buffer.from(signature);
  tamperedSignature[5]! ^= 1;
  const cases: [string, () => void][] = [
    [
      'tampered policy',
      () => {
        verifyPolicyUpdate(publicKey, Buffer.from('{"pcrs":{"4":"01"}}'), 7n, signature);
      },
    ],
    [
      'tampered signature',
      () => {
        verifyPolicyUpdate(publicKey, policy, 7n, tamperedSignature);
      },
    ],
    [
      'wrong version',
      () => {
        verifyPolicyUpdate(publicKey, policy, 8n, signature);
      },
    ],
    [
      'wrong key',
      () => {
        verifyPolicyUpdate(adminSigningKey(generateMasterSecret()).publicKey, policy, 7n, signature);
      },
    ],
    [
      'empty signature',
      () => {
        verifyPolicyUpdate(publicKey, policy, 7n, Buffer.alloc(0));
      },
    ],
    [
      'truncated signature',
      () => {
        verifyPolicyUpdate(publicKey, policy, 7n, signature.subarray(0, 63));
      },
    ],
  ];
  for (const [name, call] of cases) {
    t.throws(call, VerificationError, name);
    t.throws(call, { code: 'POLICY_UPDATE_SIGNATURE_INVALID' }, name);
  }
  t.end();
});

t.test('versions outside u64 are refused', (t) => {
  const { privateKey } = adminSigningKey(secret);
  t.throws(() => signPolicyUpdate(privateKey, policy, -1n), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  t.throws(() => signPolicyUpdate(privateKey, policy, 1n << 64n), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  t.ok(signPolicyUpdate(privateKey, policy, (1n << 64n) - 1n).length === 64);
  t.end();
});
