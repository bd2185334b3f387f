// Known answers for the HKDF derivations: fixtures/hkdf-kat.py computes them with Python's hmac/hashlib (and
// `openssl kdf … HKDF` agrees on the measurement secret); this test re-runs the script, so the fixture cannot drift.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { InputError } from '../../../lib/errors.js';
import {
  clusterMeasurement,
  deriveClusterId,
  deriveDataKey,
  deriveDiskKey,
  deriveMeasurementSecret,
  type MasterSecret,
} from '../../../lib/crypto/index.js';

const fixtureDir = new URL('./fixtures/', import.meta.url);
const kat = JSON.parse(readFileSync(new URL('hkdf-kat.json', fixtureDir), 'utf8')) as Record<string, string>;
const hex = (name: string) => Buffer.from(kat[name]!, 'hex');
const secret: MasterSecret = { key: hex('masterKey'), salt: hex('masterSalt') };

t.test('the fixture is what the independent Python HKDF computes', (t) => {
  const output = execFileSync('python3', [new URL('hkdf-kat.py', fixtureDir).pathname], { encoding: 'utf8' });
  t.same(JSON.parse(output), kat);
  t.end();
});

t.test('disk key, measurement secret, clusterID, PCR 15 and a 64-byte data key match the known answers', (t) => {
  t.equal(deriveDiskKey(secret, kat.diskUuid!).toString('hex'), kat.diskKey);
  t.equal(deriveDiskKey(secret, kat.diskUuid!.toUpperCase()).toString('hex'), kat.diskKey, 'UUID is lowercased');
  const measurementSecret = deriveMeasurementSecret(secret);
  t.equal(measurementSecret.toString('hex'), kat.measurementSecret);
  const clusterId = deriveClusterId(measurementSecret, hex('measurementSalt'));
  t.equal(clusterId.toString('hex'), kat.clusterId);
  t.equal(clusterMeasurement(clusterId).toString('hex'), kat.pcr15);
  t.equal(deriveDataKey(secret, kat.dataKeyId!, 64).toString('hex'), kat.dataKey64);
  t.equal(deriveDataKey(secret, kat.dataKeyId!, 16).toString('hex'), kat.dataKey64!.slice(0, 32), 'prefix property');
  t.end();
});

t.test('deterministic for the same id, different for another id or another master secret', (t) => {
  t.same(deriveDataKey(secret, 'a', 32), deriveDataKey(secret, 'a', 32));
  t.not(deriveDataKey(secret, 'a', 32).toString('hex'), deriveDataKey(secret, 'b', 32).toString('hex'));
  const other = { key: secret.key, salt: Buffer.alloc(32, 1) };
  t.not(deriveDataKey(secret, 'a', 32).toString('hex'), deriveDataKey(other, 'a', 32).toString('hex'));
  t.end();
});

t.test('bad arguments are refused with INVALID_ARGUMENT', (t) => {
  const cases: [string, () => unknown][] = [
    ['empty id', () => deriveDataKey(secret, '', 32)],
    ['length 0', () => deriveDataKey(secret, 'a', 0)],
    ['length too long', () => deriveDataKey(secret, 'a', 255 * 32 + 1)],
    ['fractional length', () => deriveDataKey(secret, 'a', 1.5)],
    ['not a UUID', () => deriveDiskKey(secret, 'disk-1')],
    ['short cluster ID', () => clusterMeasurement(Buffer.alloc(31))],
    ['empty measurement salt', () => deriveClusterId(Buffer.alloc(32), Buffer.alloc(0))],
  ];
  for (const [name, call] of cases) {
    t.throws(call, InputError, name);
    t.throws(call, { code: 'INVALID_ARGUMENT' }, name);
  }
  t.end();
});
