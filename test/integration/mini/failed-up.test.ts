// A `mini up` that cannot create its VMs (the base disk is unreadable for qemu-img) fails with MINI_UP_FAILED and
// leaves no process and no network object behind, only the logs; `destroyMiniCluster` then removes those.
// Real parts: iproute2, dnsmasq, the metadata service, qemu-img; no VM boots. Root.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { namespaces } from '../../../lib/mini/ip-command.js';
import { createMiniCluster, destroyMiniCluster } from '../../../lib/mini/mini-cluster.js';
import { miniLayout } from '../../../lib/mini/mini-layout.js';

t.test('qemu-img fails: MINI_UP_FAILED, nothing running, network gone, logs kept until destroy', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-failed-up-'));
  const workspace = join(dir, 'ws');
  t.teardown(async () => {
    await destroyMiniCluster(workspace);
    await rm(dir, { recursive: true, force: true });
  });
  // Not a disk image qemu-img can use as a raw backing file: a directory.
  const image = join(dir, 'image');
  await execa('mkdir', ['-p', join(image, 'disk.raw'), join(image, 'ek-ca')]);
  await writeFile(join(image, 'image.json'), '{}');
  for (const pem of ['swtpm-localca-rootca-cert.pem', 'issuercert.pem']) await writeFile(join(image, 'ek-ca', pem), '');
  const error = await createMiniCluster({
    workspace,
    controlPlanes: 1,
    workers: 0,
    subnet: '10.42.253',
    acceleration: { accelerator: 'tcg', reason: 'test' },
    requirements: {
      executables: {},
      ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd',
      ovmfVars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
      imageDir: image,
      diskImage: join(image, 'disk.raw'),
      ekCaDir: join(image, 'ek-ca'),
    },
  }).catch((e: unknown) => e);
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'MINI_UP_FAILED');
  t.match((error as Error).message, /qemu-img.*constellation mini down/s);

  const layout = miniLayout(workspace);
  t.ok(existsSync(layout.recordFile), 'the record stays, so mini down knows what was made');
  t.ok(existsSync(layout.metadataLog), 'the logs stay');
  const { id } = JSON.parse(readFileSync(layout.recordFile, 'utf8')) as { id: string };
  t.notOk((await namespaces()).includes(`constellation-mini-${id}`), 'the namespace is gone');
  t.notMatch((await execa('ip', ['-o', 'link', 'show'])).stdout, id, 'no link left');
  t.notMatch((await execa('ps', ['-eo', 'args'])).stdout, layout.dir, 'no process of the cluster runs');

  await t.rejects(
    createMiniCluster({
      workspace,
      controlPlanes: 1,
      workers: 0,
      acceleration: { accelerator: 'tcg', reason: 'test' },
      requirements: { executables: {}, ovmfCode: '', ovmfVars: '', imageDir: image, diskImage: '', ekCaDir: '' },
    }),
    { code: 'MINI_CLUSTER_EXISTS' },
    'a second up is refused while the files are there',
  );
  const report = await destroyMiniCluster(workspace);
  t.equal(report.removedDir, layout.dir);
  t.notOk(existsSync(layout.dir));
});
