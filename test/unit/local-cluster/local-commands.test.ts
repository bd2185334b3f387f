// The `local` commands as a user runs them (in-process runCli, no cluster started): help texts, usage errors,
// and what each command says when the workspace has no local cluster.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { subnetNetwork } from '../../../cli/commands/local-up.js';
import { ExitCode } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/main.js';
import { UsageError } from '../../../cli/usage-error.js';
import { fakeIo } from '../cli/fake-io.js';

const dir = await mkdtemp(join(tmpdir(), 'local-commands-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('every local command explains itself with examples and exits 0 on --help', async (t) => {
  for (const command of ['up', 'down', 'status', 'start', 'stop']) {
    const io = fakeIo();
    t.equal(await runCli(['local', command, '--help'], io), ExitCode.OK, command);
    t.match(io.out(), /Examples:/, `${command} has examples`);
    t.match(io.out(), /--workspace/, `${command} takes --workspace`);
  }
  const io = fakeIo();
  await runCli(['local', 'up', '--help'], io);
  t.match(io.out(), /NOT encrypted/, 'up says the development state disk is not encrypted');
  t.match(io.out(), /--no-init/);
});

t.test('usage errors exit 2 and create nothing', async (t) => {
  const workspace = await mkdtemp(join(dir, 'usage-'));
  for (const argv of [
    ['local', 'up', '--workspace', workspace, '--workers', 'many'],
    ['local', 'up', '--workspace', workspace, '--control-planes', '0'],
    ['local', 'up', '--workspace', workspace, '--subnet', '10.0.0'],
  ]) {
    const io = fakeIo();
    t.equal(await runCli(argv, io), ExitCode.USAGE, argv.join(' '));
    t.match(io.err(), /expected/);
  }
  t.same(await readdir(workspace), [], 'nothing was created');
});

t.test('without a local cluster: status and start say so, down has nothing to do', async (t) => {
  const workspace = await mkdtemp(join(dir, 'empty-'));
  for (const argv of [
    ['local', 'status', '--workspace', workspace],
    ['local', 'start', 'worker-0', '--workspace', workspace],
  ]) {
    const io = fakeIo();
    t.equal(await runCli(argv, io), ExitCode.USAGE, argv.join(' '));
    t.match(io.err(), /LOCAL_CLUSTER_NOT_FOUND.*constellation local up/);
  }
  const io = fakeIo();
  t.equal(await runCli(['local', 'down', '--workspace', workspace], io), ExitCode.OK);
  t.match(io.err(), /nothing to do/);
  t.same(await readdir(workspace), []);
});

t.test('--subnet: a loopback /24 gives the metadata .1 and node i .(10+i)', (t) => {
  const network = subnetNetwork('127.43.5');
  t.equal(network.metadataHost, '127.43.5.1');
  t.equal(network.metadataPort, 8080);
  t.equal(network.nodeHost(2), '127.43.5.12');
  for (const bad of ['127.43', '10.1.2', '127.300.1', '127.1.2.3', 'x.y.z']) {
    t.throws(() => subnetNetwork(bad), { constructor: UsageError, code: 'USAGE' }, bad);
  }
  t.end();
});
