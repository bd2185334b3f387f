// The signed measurements file: build from a UKI, sign, verify; every way a file can be unusable or untrusted is
// refused with its own class and code, and the content is only validated once the signature verified. The policy
// it turns into is accepted by parsePolicy.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  buildMeasurements,
  canonicalJson,
  encodeMeasurements,
  measurementsPolicy,
  MEASUREMENTS_ERROR_CODES,
  parseReleasePrivateKey,
  parseReleasePublicKey,
  predictUkiPcrs,
  RELEASE_KEY_INVALID,
  releaseKeyId,
  signMeasurements,
  verifyMeasurements,
  type Measurements,
} from '../../../lib/image/index.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { withClusterMeasurement } from '../../../lib/boot/index.js';
import { InputError, VerificationError } from '../../../lib/errors.js';

const uki = readFileSync(new URL('../../vectors/image/uki.efi', import.meta.url));
const { MEASUREMENTS_INVALID, MEASUREMENTS_UNSIGNED, MEASUREMENTS_SIGNATURE_INVALID, MEASUREMENTS_UNTRUSTED_KEY } =
  MEASUREMENTS_ERROR_CODES;
const release = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const golden = { 0: Buffer.alloc(32, 0xa0), 7: Buffer.alloc(32, 0x07) };
const measurements = buildMeasurements({ uki, imageName: 'constellation-node', version: '0.1.0', goldenPcrs: golden });
const signed = signMeasurements(measurements, release.privateKey);
const fileBytes = Buffer.from(encodeMeasurements(signed));

/** A file whose content was changed by `edit` (after signing), re-encoded. */
function edited(edit: (value: Record<string, unknown>) => void): Buffer {
  const value = JSON.parse(fileBytes.toString()) as Record<string, unknown>;
  edit(value);
  return Buffer.from(JSON.stringify(value));
}

/** Content `edit`ed, then signed properly with `key` (for checks that run after the signature). */
function resigned(edit: (value: Record<string, unknown>) => void, key: KeyObject = release.privateKey): Buffer {
  const value = JSON.parse(fileBytes.toString()) as Record<string, unknown>;
  delete value['signature'];
  edit(value);
  const signature = sign(null, Buffer.from(canonicalJson(value, 'X')), key).toString('base64');
  return Buffer.from(
    JSON.stringify({ ...value, signature: { algorithm: 'ed25519', keyId: releaseKeyId(key), value: signature } }),
  );
}

const pcrsOf = (value: Record<string, unknown>): Record<string, Record<string, unknown>> =>
  value['pcrs'] as Record<string, Record<string, unknown>>;

t.test('buildMeasurements: PCR 4 and 11 precomputed and enforced, golden PCRs warn, no PCR 15', (t) => {
  const predicted = predictUkiPcrs({ uki });
  t.same(measurements, {
    version: 'v1',
    image: { name: 'constellation-node', version: '0.1.0', ukiSha256: createHash('sha256').update(uki).digest('hex') },
    pcrs: {
      '0': { expected: 'a0'.repeat(32), mode: 'warn', source: 'golden-boot' },
      '4': { expected: predicted.pcr4.toString('hex'), mode: 'enforce', source: 'precomputed' },
      '7': { expected: '07'.repeat(32), mode: 'warn', source: 'golden-boot' },
      '11': { expected: predicted.pcr11.toString('hex'), mode: 'enforce', source: 'precomputed' },
    },
  });
  const enforced = buildMeasurements({ uki, imageName: 'n', version: '1', goldenPcrs: golden, enforceGoldenPcrs: [7] });
  t.equal(enforced.pcrs['7']?.mode, 'enforce');
  t.same(Object.keys(buildMeasurements({ uki, imageName: 'n', version: '1' }).pcrs), ['4', '11']);
  const bad: [string, Parameters<typeof buildMeasurements>[0]][] = [
    ['golden PCR 15', { uki, imageName: 'n', version: '1', goldenPcrs: { 15: Buffer.alloc(32) } }],
    ['golden PCR 4', { uki, imageName: 'n', version: '1', goldenPcrs: { 4: Buffer.alloc(32) } }],
    ['golden PCR 24', { uki, imageName: 'n', version: '1', goldenPcrs: { 24: Buffer.alloc(32) } }],
    ['golden value of 20 bytes', { uki, imageName: 'n', version: '1', goldenPcrs: { 0: Buffer.alloc(20) } }],
    ['enforce a PCR without a value', { uki, imageName: 'n', version: '1', enforceGoldenPcrs: [0] }],
  ];
  for (const [name, input] of bad) {
    t.throws(() => buildMeasurements(input), { constructor: InputError, code: 'INVALID_ARGUMENT' }, name);
  }
  t.throws(() => buildMeasurements({ uki, imageName: 'has space', version: '1' }), {
    constructor: InputError,
    code: MEASUREMENTS_INVALID,
    message: /\.image\.name: expected a name/,
  });
  t.end();
});

t.test('sign and verify round-trip; the signature covers canonical JSON, so formatting does not matter', (t) => {
  t.same(verifyMeasurements(fileBytes, [release.publicKey]), measurements);
  t.same(verifyMeasurements(fileBytes, [other.publicKey, release.publicKey]), measurements, 'any trusted key');
  t.equal(signed.signature.algorithm, 'ed25519');
  t.equal(signed.signature.keyId, releaseKeyId(release.publicKey));
  t.equal(releaseKeyId(release.privateKey), releaseKeyId(release.publicKey));
  const compact = Buffer.from(JSON.stringify(JSON.parse(fileBytes.toString())));
  t.same(verifyMeasurements(compact, [release.publicKey]), measurements);
  const resignedFile = signMeasurements(signed, other.privateKey);
  t.equal(resignedFile.signature.keyId, releaseKeyId(other.publicKey), 'signing a signed file replaces the signature');
  t.equal(canonicalJson({ b: [1, 'x'], a: { d: null, c: true } }, 'X'), '{"a":{"c":true,"d":null},"b":[1,"x"]}');
  t.end();
});

t.test('refused files: class and code for each', (t) => {
  const cases: [string, Buffer, typeof InputError | typeof VerificationError, string, RegExp?][] = [
    [
      'unsigned',
      edited((v) => delete v['signature']),
      VerificationError,
      MEASUREMENTS_UNSIGNED,
      /found no "signature"/,
    ],
    [
      'one PCR changed after signing',
      edited((v) => (pcrsOf(v)['4'] = { ...pcrsOf(v)['4'], expected: '00'.repeat(32) })),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
      /does not verify; the file was changed after signing/,
    ],
    [
      'a mode changed after signing',
      edited((v) => (pcrsOf(v)['0'] = { ...pcrsOf(v)['0'], mode: 'enforce' })),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
    ],
    [
      'a PCR added after signing',
      edited((v) => (pcrsOf(v)['9'] = { expected: '00'.repeat(32), mode: 'warn', source: 'golden-boot' })),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
    ],
    [
      'signature value swapped for another signature',
      edited(
        (v) =>
          ((v['signature'] as Record<string, unknown>)['value'] = sign(
            null,
            Buffer.from('x'),
            release.privateKey,
          ).toString('base64')),
      ),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
    ],
    [
      'signature of the wrong length',
      edited((v) => ((v['signature'] as Record<string, unknown>)['value'] = 'AAAA')),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
      /Expected a 64-byte Ed25519 signature/,
    ],
    [
      'signed by an untrusted key',
      resigned(() => undefined, other.privateKey),
      VerificationError,
      MEASUREMENTS_UNTRUSTED_KEY,
      /found key [0-9a-f]{64}; pass the release key/,
    ],
    [
      'keyId of the trusted key, signature by another',
      edited((v) => {
        const forged = signMeasurements(measurements, other.privateKey);
        (v['signature'] as Record<string, unknown>)['value'] = forged.signature.value;
      }),
      VerificationError,
      MEASUREMENTS_SIGNATURE_INVALID,
    ],
    ['not JSON', Buffer.from('{"version":'), InputError, MEASUREMENTS_INVALID, /Expected JSON/],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), InputError, MEASUREMENTS_INVALID, /Expected JSON/],
    ['a JSON array', Buffer.from('[]'), InputError, MEASUREMENTS_INVALID, /Expected a JSON object/],
    ['too large', Buffer.alloc(1024 * 1024 + 1, 0x20), InputError, MEASUREMENTS_INVALID, /Expected at most/],
    [
      'another signature algorithm',
      edited((v) => ((v['signature'] as Record<string, unknown>)['algorithm'] = 'rsa')),
      InputError,
      MEASUREMENTS_INVALID,
      /found algorithm "rsa"/,
    ],
    [
      'a malformed keyId',
      edited((v) => ((v['signature'] as Record<string, unknown>)['keyId'] = 'abc')),
      InputError,
      MEASUREMENTS_INVALID,
    ],
    [
      'unknown version (signed)',
      resigned((v) => (v['version'] = 'v2')),
      InputError,
      MEASUREMENTS_INVALID,
      /\.version: expected "v1", found "v2"/,
    ],
    [
      'PCR index 24 (signed)',
      resigned((v) => (pcrsOf(v)['24'] = pcrsOf(v)['4'] ?? {})),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.24: expected a PCR index 0-23/,
    ],
    [
      'PCR index with a leading zero (signed)',
      resigned((v) => (pcrsOf(v)['04'] = pcrsOf(v)['4'] ?? {})),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.04: expected a PCR index/,
    ],
    [
      'PCR 15 (signed)',
      resigned((v) => (pcrsOf(v)['15'] = pcrsOf(v)['4'] ?? {})),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.15: expected no PCR 15/,
    ],
    [
      'non-hex value (signed)',
      resigned((v) => (pcrsOf(v)['4'] = { ...pcrsOf(v)['4'], expected: 'zz'.repeat(32) })),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.4\.expected: expected a sha256 value/,
    ],
    [
      'value of the wrong length (signed)',
      resigned((v) => (pcrsOf(v)['4'] = { ...pcrsOf(v)['4'], expected: 'ab'.repeat(20) })),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.4\.expected: expected a sha256 value/,
    ],
    [
      'mode other than enforce|warn (signed)',
      resigned((v) => (pcrsOf(v)['4'] = { ...pcrsOf(v)['4'], mode: 'ignore' })),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs\.4\.mode: expected one of enforce, warn, found "ignore"/,
    ],
    [
      'unknown key (signed)',
      resigned((v) => (v['extra'] = 1)),
      InputError,
      MEASUREMENTS_INVALID,
      /\n {2}\.extra: expected no such key/,
    ],
    [
      'no PCRs (signed)',
      resigned((v) => (v['pcrs'] = {})),
      InputError,
      MEASUREMENTS_INVALID,
      /\.pcrs: expected at least one PCR/,
    ],
  ];
  for (const [name, bytes, errorClass, code, message] of cases) {
    t.throws(
      () => verifyMeasurements(bytes, [release.publicKey]),
      { constructor: errorClass, code, ...(message === undefined ? {} : { message }) },
      name,
    );
  }
  t.throws(
    () => verifyMeasurements(fileBytes, []),
    { constructor: VerificationError, code: MEASUREMENTS_UNTRUSTED_KEY },
    'no trusted keys',
  );
  t.throws(
    () => verifyMeasurements(fileBytes, [release.privateKey]),
    { constructor: InputError, code: 'INVALID_ARGUMENT' },
    'a private key as trusted key',
  );
  t.throws(
    () => signMeasurements(measurements, release.publicKey),
    { constructor: InputError, code: 'INVALID_ARGUMENT' },
    'signing with a public key',
  );
  t.end();
});

t.test('the signature is checked before the content is read', (t) => {
  // Invalid content AND a bad signature: the signature is what is reported.
  const both = edited((v) => (v['version'] = 'v2'));
  t.throws(() => verifyMeasurements(both, [release.publicKey]), {
    constructor: VerificationError,
    code: MEASUREMENTS_SIGNATURE_INVALID,
  });
  const unsignedGarbage = Buffer.from(JSON.stringify({ version: 7, pcrs: 'x' }));
  t.throws(() => verifyMeasurements(unsignedGarbage, [release.publicKey]), {
    constructor: VerificationError,
    code: MEASUREMENTS_UNSIGNED,
  });
  t.end();
});

t.test('measurementsPolicy: the tpm.pcrs.sha256 rules parsePolicy accepts, each with its mode', (t) => {
  const policy = measurementsPolicy(measurements);
  t.same(Object.keys(policy.tpm.pcrs.sha256), ['0', '4', '7', '11']);
  t.same(policy.tpm.pcrs.sha256['0'], { expected: ['a0'.repeat(32)], mode: 'warn' });
  const parsed = parsePolicy(withClusterMeasurement(policy, Buffer.alloc(32)));
  t.equal(parsed.tpm.pcrs.sha256?.[4]?.mode, 'enforce');
  t.equal(parsed.tpm.pcrs.sha256?.[0]?.mode, 'warn');
  t.same(parsed.tpm.pcrs.sha256?.[11]?.expected, [Buffer.from(measurements.pcrs['11']?.expected ?? '', 'hex')]);
  t.ok(parsed.tpm.pcrs.sha256?.[15], 'PCR 15 added by withClusterMeasurement');
  // How the image logs: PCR 10 (IMA) unlogged, PCR 11 logged only up to systemd-stub (pcrphase extends later).
  t.same(policy.tpm['unloggedPcrs'], [10, 15, 16, 23]);
  t.same(policy.tpm['partiallyLoggedPcrs'], [11]);
  t.same(parsed.tpm.unloggedPcrs, [10, 15, 16, 23]);
  t.same(parsed.tpm.partiallyLoggedPcrs, [11]);
  t.end();
});

t.test('release keys from PEM', (t) => {
  const publicPem = release.publicKey.export({ type: 'spki', format: 'pem' });
  const privatePem = release.privateKey.export({ type: 'pkcs8', format: 'pem' });
  t.equal(releaseKeyId(parseReleasePublicKey(publicPem, 'pub.pem')), releaseKeyId(release.publicKey));
  t.equal(releaseKeyId(parseReleasePrivateKey(privatePem, 'key.pem')), releaseKeyId(release.publicKey));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
  const cases: [string, () => unknown, RegExp][] = [
    ['a private key as public key', () => parseReleasePublicKey(privatePem, 'k.pem'), /found a private key/],
    ['garbage', () => parseReleasePublicKey('hello', 'k.pem'), /Expected a PEM public key in k\.pem/],
    ['an RSA key', () => parseReleasePublicKey(rsa, 'k.pem'), /Expected an Ed25519 key in k\.pem, found a rsa key/],
    ['garbage private key', () => parseReleasePrivateKey('x', 'k.pem'), /Expected a PEM private key/],
  ];
  for (const [name, run, message] of cases) {
    t.throws(run, { constructor: InputError, code: RELEASE_KEY_INVALID, message }, name);
  }
  t.end();
});

t.test('a measurements value with keys in any order signs the same', (t) => {
  const reordered: Measurements = { pcrs: measurements.pcrs, image: measurements.image, version: 'v1' };
  t.equal(
    signMeasurements(reordered, release.privateKey).signature.value,
    signed.signature.value,
    'Ed25519 is deterministic',
  );
  t.end();
});
