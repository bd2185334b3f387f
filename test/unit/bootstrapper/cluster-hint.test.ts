// The cluster hint outside the disk: round trip, absent is undefined, malformed is CLUSTER_HINT_INVALID.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors.js';
import { CLUSTER_HINT_FILE, clusterHintStore } from '../../../agents/bootstrapper/cluster-hint.js';

t.test('round trip; absent → undefined; malformed → CLUSTER_HINT_INVALID', async (t) => {
  const dir = t.testdir();
  const store = clusterHintStore(dir);
  t.equal(await store.read(), undefined);
  const hint = { measurementSalt: randomBytes(32), clusterId: randomBytes(32) };
  await store.write(hint);
  t.same(await store.read(), hint);
  for (const text of ['{', '[]', JSON.stringify({ measurementSalt: 'zz', clusterId: 'aa'.repeat(32) })]) {
    await writeFile(join(dir, CLUSTER_HINT_FILE), text);
    await t.rejects(store.read(), { constructor: InputError, code: 'CLUSTER_HINT_INVALID' }, text);
  }
});
