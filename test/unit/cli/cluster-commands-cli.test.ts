// The cluster commands as a user runs them (in-process runCli): help texts, config generate's overwrite rule,
// usage errors and missing workspace files with their exit codes; progress output with and without a TTY.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main.js';
import { ExitCode } from '../../../cli/exit-codes.js';
import { overallExitCode, type NodeVerification } from '../../../cli/cluster/node-verification.js';
import { progressReporter } from '../../../cli/progress-reporter.js';
import { parseConfig } from '../../../cli/workspace/config.js';
import { fakeIo } from './fake-io.js';

const dir = await mkdtemp(join(tmpdir(), 'cli-commands-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('every new command explains itself with examples and exits 0 on --help', async (t) => {
  for (const command of [['config', 'generate'], ['init'], ['verify'], ['recover']]) {
    const io = fakeIo();
    t.equal(await runCli([...command, '--help'], io), ExitCode.OK, command.join(' '));
    t.match(io.out(), /Examples:/, `${command.join(' ')} has examples`);
    t.match(io.out(), /--workspace/, `${command.join(' ')} takes --workspace`);
  }
  const io = fakeIo();
  t.equal(await runCli(['--help'], io), ExitCode.OK);
  t.match(io.out(), /5 {2}a node refused/);
  t.match(io.out(), /6 {2}no node answered/);
});

t.test('config generate: writes strong defaults once; --force replaces', async (t) => {
  const workspace = await mkdtemp(join(dir, 'ws-'));
  const first = fakeIo();
  t.equal(await runCli(['config', 'generate', '--workspace', workspace], first), ExitCode.OK);
  const path = join(workspace, 'constellation-conf.yaml');
  t.equal(first.out().trim(), path, 'the path on stdout');
  const config = parseConfig(await readFile(path, 'utf8'));
  t.equal(config.stateDisk, 'luks');

  const again = fakeIo();
  t.equal(await runCli(['config', 'generate', '--workspace', workspace], again), ExitCode.USAGE);
  t.match(again.err(), /WORKSPACE_FILE_EXISTS.*constellation-conf\.yaml.*--force/s);
  t.equal(await runCli(['config', 'generate', '--workspace', workspace, '--force'], fakeIo()), ExitCode.OK);
});

t.test('missing workspace files and bad flags are usage errors naming what is missing', async (t) => {
  const empty = await mkdtemp(join(dir, 'empty-'));
  const init = fakeIo();
  t.equal(await runCli(['init', '--workspace', empty], init), ExitCode.USAGE);
  t.match(init.err(), /WORKSPACE_FILE_MISSING.*constellation-conf\.yaml.*constellation config generate/s);

  await runCli(['config', 'generate', '--workspace', empty], fakeIo());
  const verify = fakeIo();
  t.equal(await runCli(['verify', '--workspace', empty], verify), ExitCode.USAGE);
  t.match(verify.err(), /WORKSPACE_FILE_MISSING.*constellation-state\.json/s);

  const recover = fakeIo();
  t.equal(await runCli(['recover', '--workspace', empty], recover), ExitCode.USAGE);

  const timeout = fakeIo();
  t.equal(await runCli(['init', '--workspace', empty, '--timeout', 'soon'], timeout), ExitCode.USAGE);
  t.match(timeout.err(), /--timeout: expected whole seconds/);

  t.equal(await runCli(['verify', '--output', 'yaml'], fakeIo()), ExitCode.USAGE);
});

t.test('progress: lines without a TTY, a spinner line on a TTY', (t) => {
  const plain = fakeIo();
  const reporter = progressReporter(plain);
  reporter.step('one');
  reporter.step('two');
  reporter.stop('done');
  t.equal(plain.err(), 'one\ntwo\ndone\n');
  t.equal(plain.out(), '', 'nothing on stdout');

  const tty = fakeIo({ tty: true });
  const spinner = progressReporter(tty);
  spinner.step('one');
  spinner.step('two');
  spinner.stop();
  spinner.stop();
  t.ok(tty.err().startsWith('\r\u001b[K'), 'rewrites the line: carriage return + erase line');
  t.match(tty.err(), /✓ one\n/);
  t.match(tty.err(), /✓ two\n$/);
  t.end();
});

t.test('verify exit code: the most serious node outcome', (t) => {
  const result = (exitCode: NodeVerification['exitCode']): NodeVerification =>
    ({ exitCode }) as unknown as NodeVerification;
  t.equal(overallExitCode([]), ExitCode.OK);
  t.equal(overallExitCode([result(0), result(0)]), ExitCode.OK);
  t.equal(overallExitCode([result(6), result(4)]), ExitCode.POLICY_REJECTED);
  t.equal(overallExitCode([result(4), result(3), result(6)]), ExitCode.VERIFICATION_FAILED);
  t.equal(overallExitCode([result(0), result(6)]), ExitCode.NODE_UNREACHABLE);
  t.end();
});
