// Stage cache: reuse by key, rebuild with noCache, nothing left by a failed or killed build, one entry per stage.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError } from '../../../lib/errors.js';
import { createLogger } from '../../../lib/log/index.js';
import { StageCache } from '../../../image/build/stage-cache.js';

const logger = createLogger({ name: 'test', transport: 'stderr-json', write: () => undefined });

async function cacheDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stage-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('an unchanged key is reused, a new key rebuilds and replaces the old entry', async (t) => {
  const dir = await cacheDir(t);
  let builds = 0;
  const build = async (out: string) => {
    builds++;
    await writeFile(join(out, 'result'), String(builds));
  };
  const first = await new StageCache({ dir, noCache: false, logger }).stage('root', 'a'.repeat(64), build);
  const cache = new StageCache({ dir, noCache: false, logger });
  const second = await cache.stage('root', 'a'.repeat(64), build);
  t.equal(second, first);
  t.equal(builds, 1);
  t.same(
    cache.records.map((r) => [r.stage, r.reused]),
    [['root', true]],
  );
  const third = await cache.stage('root', 'b'.repeat(64), build);
  t.not(third, first);
  t.equal(await readFile(join(third, 'result'), 'utf8'), '2');
  t.same(await readdir(dir), [`root-${'b'.repeat(16)}`], 'the stale entry is gone');
});

t.test('noCache rebuilds an existing entry in place', async (t) => {
  const dir = await cacheDir(t);
  let builds = 0;
  const build = async (out: string) => {
    builds++;
    await writeFile(join(out, 'result'), String(builds));
  };
  await new StageCache({ dir, noCache: false, logger }).stage('uki', 'c'.repeat(64), build);
  const cache = new StageCache({ dir, noCache: true, logger });
  const path = await cache.stage('uki', 'c'.repeat(64), build);
  t.equal(builds, 2);
  t.equal(await readFile(join(path, 'result'), 'utf8'), '2');
  t.equal(cache.records[0]?.reused, false);
});

t.test('a failed build leaves no entry and no temporary directory', async (t) => {
  const dir = await cacheDir(t);
  const cache = new StageCache({ dir, noCache: false, logger });
  await t.rejects(
    cache.stage('disk', 'd'.repeat(64), async (out) => {
      await writeFile(join(out, 'half'), 'x');
      throw new ConstellationError('IMAGE_BUILD_COMMAND_FAILED', 'boom');
    }),
    { code: 'IMAGE_BUILD_COMMAND_FAILED' },
  );
  t.same(await readdir(dir), []);
});

t.test('stages whose names share a prefix keep their own entries', async (t) => {
  const dir = await cacheDir(t);
  const cache = new StageCache({ dir, noCache: false, logger });
  await cache.stage('rootfs', 'e'.repeat(64), () => Promise.resolve());
  await cache.stage('root', 'f'.repeat(64), () => Promise.resolve());
  t.same((await readdir(dir)).sort(), [`root-${'f'.repeat(16)}`, `rootfs-${'e'.repeat(16)}`]);
});

t.test(
  "a killed build's temporary directory is removed by the next build of its stage, a running one's kept",
  async (t) => {
    const dir = await cacheDir(t);
    const exited = spawnSync(process.execPath, ['-e', '']).pid; // a process that has certainly exited
    t.ok(exited > 0, 'a pid');
    const killed = `verity-root-${'1'.repeat(16)}.tmp-${String(exited)}`;
    const live = `verity-root-${'2'.repeat(16)}.tmp-${String(process.ppid)}`;
    const otherStage = `root-${'3'.repeat(16)}.tmp-${String(exited)}`;
    for (const entry of [killed, live, otherStage]) await mkdir(join(dir, entry));
    const cache = new StageCache({ dir, noCache: false, logger });
    await cache.stage('verity-root', '4'.repeat(64), () => Promise.resolve());
    t.same((await readdir(dir)).sort(), [otherStage, live, `verity-root-${'4'.repeat(16)}`].sort());
  },
);
