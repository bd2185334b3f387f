// Known answers from test/unit/tpm/fixtures/make-credential-kat.py (independent Python implementation
// of TPM 2.0 Part 1 §24); TPM interop is in test/integration/tpm/credential-interop.test.ts.
import t from 'tap';
import { constants, createPublicKey, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import { makeCredential } from '../../../lib/tpm/make-credential.js';
import { publicFromKey } from '../../../lib/tpm/public-marshal.js';
import { TPM_ALG } from '../../../lib/tpm/tpm-constants.js';

const EK_TEMPLATE = {
  objectAttributes: 0x000300b2,
  scheme: null,
  symmetric: { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
  authPolicy: Buffer.from('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa', 'hex'),
} as const;
const NAME = Buffer.from('000b66d01bca1ceec93c400ade74e301ccc970dafc6ab50532fb94436b48f3929590', 'hex');
const CREDENTIAL = Buffer.from('sixteen byte key');

t.test('RSA EK: fixed seed gives the known credential blob; the secret is the seed under OAEP "IDENTITY"', (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ek = publicFromKey(publicKey, EK_TEMPLATE);
  const seed = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x40 + i));
  const made = makeCredential(ek, NAME, CREDENTIAL, { seed });
  t.equal(
    made.credentialBlob.toString('hex'),
    '00206308e9e92d0cc00602a35a6891f91d955a80ac507d44f3aba75e8c35485f30c22d186a00791859faac4ec5effc9782bc2ec4',
  );
  const decrypted = privateDecrypt(
    {
      key: privateKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from('IDENTITY\0'),
    },
    made.secret,
  );
  t.same(decrypted, seed);
  t.equal(made.secret.length, 256);
  t.end();
});

t.test('ECC P-256 EK: fixed ephemeral key gives the known secret point and blob', (t) => {
  const key = createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from('471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c', 'hex').toString('base64url'),
      y: Buffer.from('dd520f7aca8a8b917acc37f51de8f0c9bbe3ad858382e702dc25a12d09f7a858', 'hex').toString('base64url'),
    },
  });
  const ek = publicFromKey(key, EK_TEMPLATE);
  const made = makeCredential(ek, NAME, CREDENTIAL, {
    ephemeralPrivateKey: Buffer.from('fedcba0987654321fedcba0987654321fedcba0987654321fedcba0987654321', 'hex'),
  });
  t.equal(
    made.secret.toString('hex'),
    '002058893cc65cc5c0da46a14c5a42878d877003623cdceec62cb9a9069fa2c02ea400200265ab8ca5eec646d3f4cdebdb55f31ceee66e947cff69ef3a22746be8b394d4',
  );
  t.equal(
    made.credentialBlob.toString('hex'),
    '002027ec60184d43eead1a5c62f0e26ae328ff316de4dbea37c94c08fbff5569df756081a593472022cbdb7c0cace294f865f78f',
  );
  t.end();
});

t.test('without test inputs every call uses fresh randomness', (t) => {
  for (const type of ['rsa', 'ec'] as const) {
    const { publicKey } =
      type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const ek = publicFromKey(publicKey, EK_TEMPLATE);
    const a = makeCredential(ek, NAME, CREDENTIAL);
    const b = makeCredential(ek, NAME, CREDENTIAL);
    t.notSame(a.secret, b.secret, type);
    t.notSame(a.credentialBlob, b.credentialBlob, type);
  }
  t.end();
});

t.test('refuses inputs a TPM would refuse', (t) => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ek = publicFromKey(publicKey, EK_TEMPLATE);
  const ak = publicFromKey(publicKey);
  const cases: [string, () => unknown][] = [
    ['a signing key instead of an EK', () => makeCredential(ak, NAME, CREDENTIAL)],
    ['an empty credential', () => makeCredential(ek, NAME, Buffer.alloc(0))],
    ['a credential over 64 bytes', () => makeCredential(ek, NAME, Buffer.alloc(65))],
    ['a truncated name', () => makeCredential(ek, NAME.subarray(0, 20), CREDENTIAL)],
    [
      'a name with an unknown hash',
      () => makeCredential(ek, Buffer.concat([Buffer.from('0099', 'hex'), NAME.subarray(2)]), CREDENTIAL),
    ],
    ['a seed of the wrong size', () => makeCredential(ek, NAME, CREDENTIAL, { seed: Buffer.alloc(20) })],
  ];
  for (const [name, run] of cases) t.throws(run, { constructor: InputError, code: 'INVALID_ARGUMENT' }, name);
  t.end();
});
