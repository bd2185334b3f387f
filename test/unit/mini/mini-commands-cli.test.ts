// `constellation mini` as a user runs it (in-process runCli), for everything that needs no VM: help texts, flag
// validation, requirements checked before anything is created, status/down on a workspace without a cluster.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ExitCode } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/main.js';
import { miniLayout } from '../../../lib/mini/mini-layout.js';
import { MINI_RECORD_VERSION, writeMiniRecord } from '../../../lib/mini/mini-record.js';
import { fakeIo } from '../cli/fake-io.js';

t.test('help texts name what is started and removed', async (t) => {
  for (const [command, expected] of [
    ['up', /constellation-mini-<id>.*10\.42\.0\.1:8080.*release\s+key/s],
    ['down', /reused pid is never signalled.*second run/s],
    ['status', /milestones\.log/],
  ] as const) {
    const io = fakeIo();
    t.equal(await runCli(['mini', command, '--help'], io), ExitCode.OK, command);
    t.match(io.out(), expected, command);
  }
});

t.test('--nodes is validated before anything else', async (t) => {
  const io = fakeIo();
  t.equal(await runCli(['mini', 'up', '--nodes', '0:2', '--workspace', '/nonexistent/ws'], io), ExitCode.USAGE);
  t.match(io.err(), '--nodes: expected <control-planes>:<workers>');
});

t.test('a missing image: MINI_HOST_REQUIREMENTS, and no workspace or network created', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const io = fakeIo();
  const code = await runCli(['mini', 'up', '--workspace', join(dir, 'ws'), '--image', join(dir, 'no-image')], io);
  t.equal(code, ExitCode.ERROR);
  t.match(io.err(), /MINI_HOST_REQUIREMENTS|Expected every host requirement/);
  t.match(io.err(), 'disk.raw, image.json');
  t.notOk(existsSync(join(dir, 'ws')), 'nothing created');
});

t.test('status without a cluster says to run mini up; down finds nothing to do', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const status = fakeIo();
  t.equal(await runCli(['mini', 'status', '--workspace', dir], status), ExitCode.USAGE);
  t.match(status.err(), "run 'constellation mini up' first");
  const down = fakeIo();
  t.equal(await runCli(['mini', 'down', '--workspace', dir], down), ExitCode.OK);
  t.match(down.err(), 'nothing to do');
});

t.test('stop/start: help, no cluster, unknown node names, a node that is already off', async (t) => {
  for (const [command, expected] of [
    ['stop', /180 s to shut down.*TPM2_Shutdown.*constellation recover/s],
    ['start', /--kernel-command-line.*PCRs 4 and 11.*waiting-to-rejoin/s],
  ] as const) {
    const io = fakeIo();
    t.equal(await runCli(['mini', command, '--help'], io), ExitCode.OK, command);
    t.match(io.out(), expected, command);
  }
  const dir = await mkdtemp(join(tmpdir(), 'mini-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const none = fakeIo();
  t.equal(await runCli(['mini', 'stop', '--workspace', dir], none), ExitCode.USAGE);
  t.match(none.err(), "run 'constellation mini up' first");
  const layout = miniLayout(dir);
  await mkdir(layout.dir, { recursive: true });
  await writeMiniRecord(layout.recordFile, {
    version: MINI_RECORD_VERSION,
    createdAt: new Date(0).toISOString(),
    id: 'abcd0123',
    subnet: '10.42.0',
    imageDir: join(dir, 'image'),
    accelerator: 'tcg',
    vcpus: 1,
    metadataListen: '10.42.0.1:8080',
    runtime: 'dist',
    nodes: [
      { name: 'control-plane-0', role: 'control-plane', address: '10.42.0.10', mac: '52:54:00:ab:cd:00' },
      { name: 'worker-0', role: 'worker', address: '10.42.0.11', mac: '52:54:00:ab:cd:01' },
    ],
  });
  for (const command of ['stop', 'start']) {
    const io = fakeIo();
    t.equal(await runCli(['mini', command, '--workspace', dir, 'worker-0', 'worker-9'], io), ExitCode.USAGE, command);
    t.match(io.err(), 'Expected node names of this cluster (control-plane-0, worker-0), found worker-9');
  }
  const off = fakeIo();
  t.equal(await runCli(['mini', 'stop', '--workspace', dir, 'worker-0'], off), ExitCode.OK);
  t.match(off.err(), 'worker-0: was not running');
});
