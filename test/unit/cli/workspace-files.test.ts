// Workspace writes: atomic (temp + fsync + rename/link), never over an existing file unless asked, 0600 for
// secrets, no temporary files left behind, and a writer killed mid-write leaves the old file or the new one.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../lib/errors.js';
import {
  WORKSPACE_ERROR_CODES,
  readWorkspaceFile,
  workspaceFileExists,
  writeWorkspaceFile,
} from '../../../cli/workspace/files.js';

const dir = await mkdtemp(join(tmpdir(), 'cli-files-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('never over an existing file unless asked; the old content stays', async (t) => {
  const path = join(dir, 'a.json');
  await writeWorkspaceFile(path, 'first');
  const error = await writeWorkspaceFile(path, 'second').then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof InputError, 'InputError');
  t.equal((error as InputError).code, WORKSPACE_ERROR_CODES.WORKSPACE_FILE_EXISTS);
  t.match((error as Error).message, /a\.json/, 'names the file');
  t.equal(await readFile(path, 'utf8'), 'first');
  await writeWorkspaceFile(path, 'third', { overwrite: true });
  t.equal(await readFile(path, 'utf8'), 'third');
  t.same(
    (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
    [],
    'no temporary files left',
  );
});

t.test('secrets get mode 0600, also when replacing a 0644 file', async (t) => {
  const path = join(dir, 'secret.json');
  await writeWorkspaceFile(path, 'x', { secret: true });
  t.equal((await stat(path)).mode & 0o777, 0o600);
  const plain = join(dir, 'plain.yaml');
  await writeWorkspaceFile(plain, 'x');
  await writeWorkspaceFile(plain, 'y', { secret: true, overwrite: true });
  t.equal((await stat(plain)).mode & 0o777, 0o600);
});

t.test('a missing directory is WORKSPACE_FILE_UNUSABLE; a missing file names the command that makes it', async (t) => {
  await t.rejects(writeWorkspaceFile(join(dir, 'no', 'such', 'f'), 'x'), {
    code: WORKSPACE_ERROR_CODES.WORKSPACE_FILE_UNUSABLE,
  });
  await t.rejects(readWorkspaceFile(join(dir, 'absent'), "'constellation init'"), {
    code: WORKSPACE_ERROR_CODES.WORKSPACE_FILE_MISSING,
    message: /constellation init/,
  });
  t.equal(await workspaceFileExists(join(dir, 'absent')), false);
  t.equal(await workspaceFileExists(dir), true);
});

t.test('a directory in the way is refused, not replaced', async (t) => {
  const path = join(dir, 'in-the-way');
  await mkdir(path);
  await t.rejects(writeWorkspaceFile(path, 'x', { overwrite: true }), {
    code: WORKSPACE_ERROR_CODES.WORKSPACE_FILE_UNUSABLE,
  });
  t.ok((await stat(path)).isDirectory());
});

const WRITER = fileURLToPath(new URL('./workspace-writer.fixture.ts', import.meta.url));

t.test('a writer killed mid-write leaves the old file or the complete new one, never a part', async (t) => {
  const path = join(dir, 'state.json');
  const old = 'old-content\n';
  await writeFile(path, old);
  const size = 32 * 1024 * 1024;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(size)], { stdio: 'ignore' });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    // Kill as soon as the temporary file shows up (the write is in progress), or whenever we look.
    for (let i = 0; i < 400; i++) {
      const names = await readdir(dir);
      if (names.some((name) => name.startsWith('.state.json.'))) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const content = await readFile(path);
    t.ok(
      content.equals(Buffer.from(old)) || (content.length === size && content.every((byte) => byte === 0x61)),
      `round ${round}: old or complete new content (found ${content.length} bytes)`,
    );
    await writeFile(path, old);
  }
});
