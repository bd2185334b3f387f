// A `local up` that cannot start (the metadata address is taken) fails with LOCAL_UP_FAILED, leaves no process
// running and keeps the logs that say why; `local down` then removes everything.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { clusterLayout } from '../../../lib/local-cluster/cluster-layout.js';
import { createLocalCluster, destroyLocalCluster } from '../../../lib/local-cluster/local-cluster.js';

t.test('metadata address in use: LOCAL_UP_FAILED, nothing running, logs kept until down', async (t) => {
  const blocker = createServer();
  blocker.listen(8080, '127.42.62.1');
  await once(blocker, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        blocker.close(() => {
          resolve();
        }),
      ),
  );
  const workspace = await mkdtemp(join(tmpdir(), 'local-failed-up-'));
  t.teardown(() => rm(workspace, { recursive: true, force: true }));

  await t.rejects(
    createLocalCluster({
      workspace,
      controlPlanes: 1,
      workers: 1,
      network: { metadataHost: '127.42.62.1', metadataPort: 8080, nodeHost: (i) => `127.42.62.${String(10 + i)}` },
    }),
    {
      constructor: ConstellationError,
      code: 'LOCAL_UP_FAILED',
      message: /metadata service.*constellation local down/s,
    },
  );
  const layout = clusterLayout(workspace);
  t.match(await readFile(layout.metadataLog, 'utf8'), /EADDRINUSE/, 'the log says why');
  t.notOk(existsSync(layout.metadataPidFile), 'no metadata process is left (its pid file is gone)');
  t.notOk(existsSync(join(layout.dir, 'nodes')), 'no machine was started');

  const report = await destroyLocalCluster(workspace);
  t.same(report.stopped, []);
  t.same(await readdir(workspace), [], 'down removed the cluster directory');
});
