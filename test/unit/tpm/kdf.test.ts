// Expected values come from test/unit/tpm/fixtures/make-credential-kat.py, an independent Python
// implementation of KDFa/KDFe (TPM 2.0 Part 1 §11.4.10).
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { kdfA, kdfE } from '../../../lib/tpm/kdf.js';

t.test('KDFa known answers, across several HMAC blocks and with SHA-1', (t) => {
  t.equal(
    kdfA(
      'sha256',
      Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
      'TEST',
      Buffer.from('abc'),
      Buffer.from('de'),
      600,
    ).toString('hex'),
    '397c09b2f9c26075a2d21f2ed87623edaed9e432543c147725d590ff2bf85788bbb60ff7fda7d5f491a5133e037fe248219bf0e08ab77857139863aab17e0b7fd62bd3510eac7af35f3074',
  );
  const name = Buffer.concat([Buffer.from('000b', 'hex'), Buffer.alloc(32, 0x22)]);
  t.equal(
    kdfA('sha1', Buffer.alloc(20, 0x0b), 'STORAGE', name, Buffer.alloc(0), 128).toString('hex'),
    'edce0f5bc97e7fb99acb03e26886c74b',
  );
  t.end();
});

t.test('KDFe known answer', (t) => {
  t.equal(
    kdfE(
      'sha384',
      Buffer.from(Array.from({ length: 48 }, (_, i) => i)),
      'IDENTITY',
      Buffer.alloc(48, 1),
      Buffer.alloc(48, 2),
      384,
    ).toString('hex'),
    'f3beff6d86a2fa412b055a37173117db6da5eab219862574f89ee2df797982a7c2442ade40a6aad5fe445d5f477aaf94',
  );
  t.end();
});

t.test('a label that already ends in NUL is not terminated twice', (t) => {
  const key = Buffer.alloc(32, 7);
  t.same(
    kdfA('sha256', key, 'STORAGE\0', Buffer.alloc(0), Buffer.alloc(0), 128),
    kdfA('sha256', key, 'STORAGE', Buffer.alloc(0), Buffer.alloc(0), 128),
  );
  t.notSame(
    kdfA('sha256', key, 'STORAGE', Buffer.alloc(0), Buffer.alloc(0), 128),
    kdfA('sha256', key, 'INTEGRITY', Buffer.alloc(0), Buffer.alloc(0), 128),
  );
  t.end();
});

t.test('bit counts that are not whole octets mask the first octet; invalid counts are refused', (t) => {
  const key = Buffer.alloc(32, 1);
  const full = kdfA('sha256', key, 'X', Buffer.alloc(0), Buffer.alloc(0), 12);
  t.equal(full.length, 2);
  t.equal(full[0]! & 0xf0, 0);
  for (const bits of [0, -8, 1.5, 0x10000 * 8]) {
    t.throws(
      () => kdfA('sha256', key, 'X', Buffer.alloc(0), Buffer.alloc(0), bits),
      { constructor: InputError, code: 'INVALID_ARGUMENT' },
      String(bits),
    );
  }
  t.end();
});
