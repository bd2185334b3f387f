// timedRunner: each disk command's wall time is reported with its operation name; results pass through unchanged,
// and neither arguments nor stdin (where keys travel) reach the report.
import t from 'tap';
import {
  timedRunner,
  type CommandResult,
  type CryptsetupRunner,
  type DiskCommandTiming,
} from '../../../lib/disk/index.js';

const KEY = Buffer.from('a-secret-key-that-must-not-be-reported');

t.test('reports operation, exit code and milliseconds; passes the result through', async (t) => {
  const results: CommandResult[] = [
    { exitCode: 0, stdout: 'ok', stderr: '', missing: false },
    { exitCode: 2, stdout: '', stderr: 'No key available', missing: false },
    { exitCode: undefined, stdout: '', stderr: '', missing: true },
  ];
  const seen: { program: string; args: readonly string[]; stdin?: Buffer }[] = [];
  const inner: CryptsetupRunner = {
    async run(program, args, input) {
      seen.push({ program, args, ...(input?.stdin === undefined ? {} : { stdin: input.stdin }) });
      await new Promise((resolve) => setTimeout(resolve, 20));
      return results[seen.length - 1] as CommandResult;
    },
  };
  const timings: DiskCommandTiming[] = [];
  const runner = timedRunner(inner, (timing) => timings.push(timing));
  t.equal(await runner.run('cryptsetup', ['luksFormat', '--batch-mode', '/dev/vdb'], { stdin: KEY }), results[0]);
  t.equal(
    await runner.run('cryptsetup', ['open', '--test-passphrase', '--key-file', '-', '/dev/vdb'], { stdin: KEY }),
    results[1],
  );
  t.equal(await runner.run('mkfs.ext4', ['-q', '/dev/mapper/state']), results[2]);
  t.same(seen[0]?.stdin, KEY, 'stdin reaches the command');
  t.same(
    timings.map(({ program, operation, exitCode }) => ({ program, operation, exitCode })),
    [
      { program: 'cryptsetup', operation: 'luksFormat', exitCode: 0 },
      { program: 'cryptsetup', operation: 'open', exitCode: 2 },
      { program: 'mkfs.ext4', operation: 'mkfs.ext4', exitCode: undefined },
    ],
  );
  for (const timing of timings)
    t.ok(timing.ms >= 15 && Number.isInteger(timing.ms), `${timing.operation}: ${String(timing.ms)} ms`);
  const reported = JSON.stringify(timings);
  t.notMatch(reported, KEY.toString(), 'no key in the report');
  t.notMatch(reported, '/dev/vdb', 'no arguments in the report');
});

t.test('a failing runner is not hidden: the error propagates and nothing is reported', async (t) => {
  const timings: DiskCommandTiming[] = [];
  const runner = timedRunner({ run: () => Promise.reject(new Error('spawn failed')) }, (timing) =>
    timings.push(timing),
  );
  await t.rejects(runner.run('mount', ['/dev/mapper/state', '/run/state']), /spawn failed/);
  t.same(timings, []);
});
