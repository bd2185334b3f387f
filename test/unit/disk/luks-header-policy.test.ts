import t from 'tap';
import { readFileSync } from 'node:fs';
import { VerificationError } from '../../../lib/errors.js';
import { validateLuksHeader } from '../../../lib/disk/index.js';

type Json = Record<string, unknown>;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/luks2-header.json', import.meta.url), 'utf8')) as Json;

function header(
  mutate: (h: Json & { keyslots: Json; segments: Json; digests: Json; tokens: Json; config: Json }) => void,
): Json {
  const copy = structuredClone(fixture) as Json & {
    keyslots: Json;
    segments: Json;
    digests: Json;
    tokens: Json;
    config: Json;
  };
  mutate(copy);
  return copy;
}
const HINT_TOKEN = {
  type: 'constellation-cluster-hint',
  keyslots: [],
  measurementSalt: '01'.repeat(32),
  clusterId: '02'.repeat(32),
};
const at = (record: unknown, ...path: string[]): Json => path.reduce((r, key) => (r as Json)[key], record) as Json;

t.test('the header we format is accepted, with its token', (t) => {
  t.same(validateLuksHeader(fixture), { token: { diskIsInitialized: true }, clusterHint: undefined, integrity: false });
  t.same(
    validateLuksHeader(header((h) => (h.tokens = {}))),
    { token: undefined, clusterHint: undefined, integrity: false },
    'no token: pending',
  );
  const salt = 'ab'.repeat(32);
  const clusterId = 'cd'.repeat(32);
  t.same(
    validateLuksHeader(header((h) => (h.tokens['1'] = { ...HINT_TOKEN, measurementSalt: salt, clusterId }))),
    {
      token: { diskIsInitialized: true },
      clusterHint: { measurementSalt: Buffer.from(salt, 'hex'), clusterId: Buffer.from(clusterId, 'hex') },
      integrity: false,
    },
    'token 1: the cluster hint',
  );
  t.end();
});

t.test('the dm-integrity shape (96-byte volume key, hmac(sha256), no journal crypto) is accepted', (t) => {
  const integrity = header((h) => {
    at(h.keyslots, '0').key_size = 96;
    at(h.segments, '0').integrity = { type: 'hmac(sha256)', journal_encryption: 'none', journal_integrity: 'none' };
  });
  t.same(validateLuksHeader(integrity), {
    token: { diskIsInitialized: true },
    clusterHint: undefined,
    integrity: true,
  });
  t.end();
});

const negative: [string, (h: Parameters<Parameters<typeof header>[0]>[0]) => void, RegExp][] = [
  [
    'null cipher',
    (h) => (at(h.segments, '0').encryption = 'cipher_null-ecb'),
    /segments\.0\.encryption: expected "aes-xts-plain64", found "cipher_null-ecb"/,
  ],
  ['CBC cipher', (h) => (at(h.segments, '0').encryption = 'aes-cbc-essiv:sha256'), /segments\.0\.encryption/],
  [
    '512-byte sectors',
    (h) => (at(h.segments, '0').sector_size = 512),
    /segments\.0\.sector_size: expected 4096, found 512/,
  ],
  ['iv tweak', (h) => (at(h.segments, '0').iv_tweak = '1'), /segments\.0\.iv_tweak/],
  ['segment type', (h) => (at(h.segments, '0').type = 'linear'), /segments\.0\.type: expected "crypt"/],
  ['fixed segment size', (h) => (at(h.segments, '0').size = '4096'), /segments\.0\.size: expected "dynamic"/],
  [
    'segment flags',
    (h) => (at(h.segments, '0').flags = ['backup-previous']),
    /segments\.0\.flags: expected no such field/,
  ],
  ['second segment', (h) => (h.segments['1'] = h.segments['0']), /segments: expected exactly one entry "0"/],
  [
    'weak integrity',
    (h) => (at(h.segments, '0').integrity = { type: 'crc32c', journal_encryption: 'none', journal_integrity: 'none' }),
    /segments\.0\.integrity\.type/,
  ],
  [
    'integrity journal',
    (h) =>
      (at(h.segments, '0').integrity = {
        type: 'hmac(sha256)',
        journal_encryption: 'cbc(aes)',
        journal_integrity: 'none',
      }),
    /journal_encryption/,
  ],
  [
    'integrity without its key',
    (h) =>
      (at(h.segments, '0').integrity = { type: 'hmac(sha256)', journal_encryption: 'none', journal_integrity: 'none' }),
    /keyslots\.0\.key_size: expected 96, found 64/,
  ],
  ['short volume key', (h) => (at(h.keyslots, '0').key_size = 32), /keyslots\.0\.key_size: expected 64, found 32/],
  ['keyslot type', (h) => (at(h.keyslots, '0').type = 'reencrypt'), /keyslots\.0\.type/],
  ['AF stripes', (h) => (at(h.keyslots, '0', 'af').stripes = 1), /keyslots\.0\.af\.stripes: expected 4000, found 1/],
  ['AF hash', (h) => (at(h.keyslots, '0', 'af').hash = 'sha1'), /keyslots\.0\.af\.hash/],
  ['area cipher', (h) => (at(h.keyslots, '0', 'area').encryption = 'cipher_null-ecb'), /keyslots\.0\.area\.encryption/],
  ['area key size', (h) => (at(h.keyslots, '0', 'area').key_size = 32), /keyslots\.0\.area\.key_size/],
  [
    'KDF type',
    (h) => (at(h.keyslots, '0', 'kdf').type = 'pbkdf2'),
    /keyslots\.0\.kdf\.type: expected "argon2id", found "pbkdf2"/,
  ],
  [
    'KDF memory zero',
    (h) => (at(h.keyslots, '0', 'kdf').memory = 0),
    /keyslots\.0\.kdf\.memory: expected an integer ≥ 1, found 0/,
  ],
  [
    'KDF salt missing',
    (h) => delete at(h.keyslots, '0', 'kdf').salt,
    /keyslots\.0\.kdf\.salt: expected a value, found nothing/,
  ],
  [
    'KDF salt short',
    (h) => (at(h.keyslots, '0', 'kdf').salt = 'AAAA'),
    /keyslots\.0\.kdf\.salt: expected base64 of at least 32 bytes/,
  ],
  ['keyslot priority', (h) => (at(h.keyslots, '0').priority = 2), /keyslots\.0\.priority: expected no such field/],
  ['second keyslot', (h) => (h.keyslots['1'] = h.keyslots['0']), /keyslots: expected exactly one entry "0"/],
  [
    'keyslot renumbered',
    (h) => {
      h.keyslots = { '3': h.keyslots['0'] };
    },
    /keyslots: expected exactly one entry "0"/,
  ],
  ['digest type', (h) => (at(h.digests, '0').type = 'argon2i'), /digests\.0\.type/],
  ['digest hash', (h) => (at(h.digests, '0').hash = 'sha1'), /digests\.0\.hash: expected "sha256", found "sha1"/],
  [
    'digest iterations',
    (h) => (at(h.digests, '0').iterations = 1),
    /digests\.0\.iterations: expected an integer ≥ 1000, found 1/,
  ],
  ['digest keyslots', (h) => (at(h.digests, '0').keyslots = ['0', '1']), /digests\.0\.keyslots: expected \["0"\]/],
  ['digest value', (h) => (at(h.digests, '0').digest = ''), /digests\.0\.digest/],
  ['config flags', (h) => (h.config.flags = ['allow-discards']), /config\.flags: expected no such field/],
  ['config requirements', (h) => (h.config.requirements = { mandatory: ['online-reencrypt'] }), /config\.requirements/],
  ['unknown top-level field', (h) => (h.extra = {}), /metadata\.extra: expected no such field/],
  ['missing digests', (h) => delete (h as Json).digests, /metadata\.digests: expected a value/],
  [
    'foreign token',
    (h) => (h.tokens['1'] = { type: 'systemd-tpm2', keyslots: ['0'] }),
    /tokens\.1\.type: expected "constellation-cluster-hint", found "systemd-tpm2"/,
  ],
  [
    'hint token bound to a keyslot',
    (h) => (h.tokens['1'] = { ...HINT_TOKEN, keyslots: ['0'] }),
    /tokens\.1\.keyslots: expected \[\]/,
  ],
  ['third token', (h) => (h.tokens['2'] = HINT_TOKEN), /tokens: expected token "0" and optionally "1"/],
  [
    'hint without the state token',
    (h) => (h.tokens = { '1': HINT_TOKEN }),
    /tokens: expected token "0" and optionally "1", found \["1"\]/,
  ],
  [
    'hint salt not hex',
    (h) => (h.tokens['1'] = { ...HINT_TOKEN, measurementSalt: 'zz' }),
    /tokens\.1\.measurementSalt: expected 64 lower-case hex digits, found "zz"/,
  ],
  [
    'hint cluster id missing',
    (h) => (h.tokens['1'] = { type: HINT_TOKEN.type, keyslots: [], measurementSalt: HINT_TOKEN.measurementSalt }),
    /tokens\.1\.clusterId: expected 64 lower-case hex digits, found nothing/,
  ],
  ['hint extra field', (h) => (h.tokens['1'] = { ...HINT_TOKEN, key: 'x' }), /tokens\.1\.key: expected no such field/],
  ['token bound to a keyslot', (h) => (at(h.tokens, '0').keyslots = ['0']), /tokens\.0\.keyslots: expected \[\]/],
  ['token type', (h) => (at(h.tokens, '0').type = 'luks2-keyring'), /tokens\.0\.type/],
  [
    'token status',
    (h) => (at(h.tokens, '0').diskIsInitialized = 'yes'),
    /tokens\.0\.diskIsInitialized: expected true or false/,
  ],
  [
    'token extra field',
    (h) => (at(h.tokens, '0').key_description = 'x'),
    /tokens\.0\.key_description: expected no such field/,
  ],
];

t.test('every deviation is DISK_HEADER_INVALID naming the field, the expected and the found value', (t) => {
  for (const [name, mutate, message] of negative) {
    t.throws(
      () => validateLuksHeader(header(mutate)),
      { constructor: VerificationError, code: 'DISK_HEADER_INVALID', message },
      name,
    );
  }
  for (const value of [null, [], 'text', 42]) {
    t.throws(() => validateLuksHeader(value), { constructor: VerificationError, code: 'DISK_HEADER_INVALID' });
  }
  t.end();
});
