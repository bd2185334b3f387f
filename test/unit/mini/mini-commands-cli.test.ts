// `constellation mini` as a user runs it (in-process runCli), for everything that needs no VM: help texts, flag
// validation, requirements checked before anything is created, status/down on a workspace without a cluster.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ExitCode } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/main.js';
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
