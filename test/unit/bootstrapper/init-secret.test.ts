// checkInitSecret: SHA-256 compared in constant time; a wrong secret is a PolicyError that never echoes it.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { PolicyError } from '../../../lib/errors.js';
import { checkInitSecret, INIT_SECRET_INVALID } from '../../../agents/bootstrapper/init-secret.js';

const secret = Buffer.from(randomBytes(16).toString('hex'));
const hash = createHash('sha256').update(secret).digest();

t.test('the right secret passes', (t) => {
  t.doesNotThrow(() => {
    checkInitSecret(secret, hash);
  });
  t.end();
});

t.test('wrong, empty, or against a malformed hash: INIT_SECRET_INVALID without the secret', (t) => {
  const cases: [string, Buffer, Buffer][] = [
    ['wrong secret', Buffer.from('not-the-secret'), hash],
    ['one byte off', Buffer.concat([secret.subarray(0, -1), Buffer.from('x')]), hash],
    ['empty secret against the empty hash', Buffer.alloc(0), createHash('sha256').update('').digest()],
    ['short hash', secret, hash.subarray(0, 16)],
  ];
  for (const [name, presented, expected] of cases) {
    try {
      checkInitSecret(presented, expected);
      t.fail(name);
    } catch (error) {
      t.type(error, PolicyError, name);
      t.equal((error as PolicyError).code, INIT_SECRET_INVALID, name);
      t.notMatch((error as Error).message, secret.toString(), `${name}: secret not echoed`);
    }
  }
  t.end();
});
