import t, { type Test } from 'tap';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors.js';
import {
  generateMasterSecret,
  parseMasterSecret,
  readMasterSecret,
  writeMasterSecret,
} from '../../../lib/crypto/index.js';

async function tempDir(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'master-secret-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('generate → write → read round-trips; file is 0600 JSON {key, salt} with no temporary left', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'constellation-mastersecret.json');
  const secret = generateMasterSecret();
  t.equal(secret.key.length, 32);
  t.equal(secret.salt.length, 32);
  await writeMasterSecret(path, secret);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const json = JSON.parse(await readFile(path, 'utf8')) as { key: string; salt: string };
  t.equal(json.key, secret.key.toString('base64'));
  t.equal(json.salt, secret.salt.toString('base64'));
  t.same(await readMasterSecret(path), secret);
  t.same(await readdir(dir), ['constellation-mastersecret.json']);
});

t.test('an existing master secret is never overwritten', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'ms.json');
  const first = generateMasterSecret();
  await writeMasterSecret(path, first);
  await t.rejects(writeMasterSecret(path, generateMasterSecret()), InputError);
  await t.rejects(writeMasterSecret(path, generateMasterSecret()), { code: 'MASTER_SECRET_EXISTS' });
  t.same(await readMasterSecret(path), first, 'the first secret is still there');
  t.same(await readdir(dir), ['ms.json'], 'no temporary left behind');
});

t.test('a missing file is MASTER_SECRET_MISSING', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(readMasterSecret(join(dir, 'absent.json')), { name: 'InputError', code: 'MASTER_SECRET_MISSING' });
});

t.test('malformed files are MASTER_SECRET_INVALID with a message naming the field, never the value', async (t) => {
  const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64');
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{key:', /does not parse/],
    ['an array', '[]', /JSON object/],
    ['key missing', JSON.stringify({ salt: b64(32) }), /"key".*no such field/],
    ['key not base64', JSON.stringify({ key: 'a*b', salt: b64(32) }), /"key".*not base64/],
    ['key a number', JSON.stringify({ key: 5, salt: b64(32) }), /"key".*a number/],
    ['key too short (15)', JSON.stringify({ key: b64(15), salt: b64(32) }), /"key".*at least 16 bytes but found 15/],
    ['salt too short (31)', JSON.stringify({ key: b64(32), salt: b64(31) }), /"salt".*at least 32 bytes but found 31/],
  ];
  for (const [name, text, message] of cases) {
    const error = t.throws(() => parseMasterSecret(text), InputError, name) as InputError;
    t.equal(error.code, 'MASTER_SECRET_INVALID', name);
    t.match(error.message, message, name);
    t.notMatch(error.message, b64(32), `${name}: no value echoed`);
  }
  t.equal(parseMasterSecret(JSON.stringify({ key: b64(16), salt: b64(32) })).key.length, 16, '16-byte key accepted');
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad.json'), '{}');
  await t.rejects(readMasterSecret(join(dir, 'bad.json')), { code: 'MASTER_SECRET_INVALID', message: /bad\.json/ });
});

t.test('an unwritable place is MASTER_SECRET_WRITE_FAILED naming the directory', async (t) => {
  await t.rejects(writeMasterSecret('/nonexistent-dir/ms.json', generateMasterSecret()), {
    name: 'InputError',
    code: 'MASTER_SECRET_WRITE_FAILED',
    message: /in \/nonexistent-dir but could not \(ENOENT\)/,
  });
});
