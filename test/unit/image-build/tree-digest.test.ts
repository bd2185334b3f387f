// Stage keys: the same tree gives the same digest; content, mode, a symlink target or a new file change it.
import t, { type Test } from 'tap';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestPaths, digestValue } from '../../../image/build/tree-digest.js';

async function tree(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tree-digest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'etc'));
  await writeFile(join(dir, 'etc/a.conf'), 'a=1\n');
  await writeFile(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await symlink('etc/a.conf', join(dir, 'link'));
  return dir;
}

t.test('every kind of change changes the digest; nothing else does', async (t) => {
  const dir = await tree(t);
  const base = await digestPaths([dir]);
  t.equal(await digestPaths([dir]), base, 'stable');
  await writeFile(join(dir, 'etc/a.conf'), 'a=2\n');
  const content = await digestPaths([dir]);
  t.not(content, base, 'content');
  await chmod(join(dir, 'run.sh'), 0o644);
  const mode = await digestPaths([dir]);
  t.not(mode, content, 'mode');
  await rm(join(dir, 'link'));
  await symlink('run.sh', join(dir, 'link'));
  const link = await digestPaths([dir]);
  t.not(link, mode, 'symlink target');
  await writeFile(join(dir, 'new'), '');
  t.not(await digestPaths([dir]), link, 'new file');
});

t.test('a missing path is part of the key, and so is the order of paths', async (t) => {
  const dir = await tree(t);
  const missing = join(dir, 'absent');
  t.not(await digestPaths([dir, missing]), await digestPaths([dir]));
  t.not(
    await digestPaths([join(dir, 'run.sh'), join(dir, 'etc')]),
    await digestPaths([join(dir, 'etc'), join(dir, 'run.sh')]),
  );
  t.equal(digestValue({ a: 1 }), digestValue({ a: 1 }));
  t.not(digestValue({ a: 1 }), digestValue({ a: 2 }));
});
