// Pid files are trusted only together with /proc/<pid>/cmdline: a pid that now belongs to another process (a
// reused number) is never signalled, a stale or malformed pid file is "not running".
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  commandLineContains,
  findOwnedProcess,
  isAlive,
  readPidFile,
  stopOwnedProcess,
  writePidFile,
} from '../../../lib/local-cluster/owned-process.js';

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'owned-process-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function sleeper(t: Test, marker: string): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return child.pid ?? -1;
}

t.test('pid files round-trip; malformed ones read as absent', async (t) => {
  const dir = await scratch(t);
  const path = join(dir, 'x.pid');
  await writePidFile(path, 4242);
  t.equal(await readFile(path, 'utf8'), '4242\n');
  t.equal(await readPidFile(path), 4242);
  for (const text of ['', 'abc', '12 13', '-5', '1', '42x']) {
    await writeFile(path, text);
    t.equal(await readPidFile(path), undefined, JSON.stringify(text));
  }
  t.equal(await readPidFile(join(dir, 'missing.pid')), undefined);
});

t.test('a live process is ours only if its command line has the marker', async (t) => {
  const dir = await scratch(t);
  const marker = join(dir, 'machine.json');
  const pid = sleeper(t, marker);
  const pidFile = join(dir, 'machine.pid');
  await writePidFile(pidFile, pid);
  t.same(await findOwnedProcess(pidFile, marker), { pid });
  t.equal(await findOwnedProcess(pidFile, join(dir, 'another-cluster')), undefined, 'a reused pid is not ours');
});

t.test('stopping a reused pid signals nothing and removes the stale pid file', async (t) => {
  const dir = await scratch(t);
  const stranger = sleeper(t, join(dir, 'stranger'));
  const pidFile = join(dir, 'machine.pid');
  await writePidFile(pidFile, stranger);
  t.equal(await stopOwnedProcess(pidFile, join(dir, 'machine.json'), 100), 'not-running');
  t.ok(isAlive(stranger), 'the stranger still runs');
  t.equal(await readPidFile(pidFile), undefined, 'the stale pid file is gone');
});

t.test('stopping our process: SIGTERM, then SIGKILL for one that ignores it', async (t) => {
  const dir = await scratch(t);
  const marker = join(dir, 'polite');
  const polite = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' });
  const politeExit = once(polite, 'exit');
  await writePidFile(join(dir, 'polite.pid'), polite.pid ?? -1);
  t.equal(await stopOwnedProcess(join(dir, 'polite.pid'), marker), 'terminated');
  await politeExit;

  const stubbornMarker = join(dir, 'stubborn');
  const stubborn = spawn(
    process.execPath,
    ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", stubbornMarker],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await once(stubborn.stdout, 'data');
  const stubbornExit = once(stubborn, 'exit');
  await writePidFile(join(dir, 'stubborn.pid'), stubborn.pid ?? -1);
  t.equal(await stopOwnedProcess(join(dir, 'stubborn.pid'), stubbornMarker, 200), 'killed');
  const [, signal] = (await stubbornExit) as [number | null, string | null];
  t.equal(signal, 'SIGKILL');
  t.notOk(await commandLineContains(stubborn.pid ?? -1, stubbornMarker));
});
