// The measurement secret is fetched from the key source once and shared by every join; a failed fetch is not
// cached, so the next join asks again.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ConstellationError } from '../../../lib/errors.js';
import {
  deriveClusterId,
  deriveDataKey,
  deriveMeasurementSecret,
  generateMasterSecret,
  MEASUREMENT_SECRET_ID,
} from '../../../lib/crypto/index.js';
import { cachedClusterSecrets } from '../../../agents/joinservice/cluster-secrets.js';

t.test('one key-source call for any number of concurrent and later joins; documented values', async (t) => {
  const master = generateMasterSecret();
  const salt = randomBytes(32);
  const calls: string[] = [];
  const secrets = cachedClusterSecrets(
    {
      getDataKey: (id, length) => {
        calls.push(id);
        return Promise.resolve(deriveDataKey(master, id, length));
      },
    },
    salt,
  );
  const results = await Promise.all([secrets.measurement(), secrets.measurement(), secrets.measurement()]);
  await secrets.measurement();
  t.same(calls, [MEASUREMENT_SECRET_ID]);
  for (const result of results) {
    t.same(result.measurementSecret, deriveMeasurementSecret(master));
    t.same(result.clusterId, deriveClusterId(deriveMeasurementSecret(master), salt));
  }
});

t.test('a failure is passed on and not kept: the next call asks again', async (t) => {
  let fail = true;
  let calls = 0;
  const secrets = cachedClusterSecrets(
    {
      getDataKey: (_id, length) => {
        calls += 1;
        return fail
          ? Promise.reject(new ConstellationError('KMS_UNAVAILABLE', 'Expected a data key, found no KMS'))
          : Promise.resolve(Buffer.alloc(length, 1));
      },
    },
    randomBytes(32),
  );
  await t.rejects(secrets.measurement(), { code: 'KMS_UNAVAILABLE' });
  fail = false;
  t.same((await secrets.measurement()).measurementSecret, Buffer.alloc(32, 1));
  t.equal(calls, 2);
});
