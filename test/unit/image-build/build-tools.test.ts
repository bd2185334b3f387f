// Host programs: missing ones are named with their apt package; a failing one reports its exit status and stderr.
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { checkHostTools, missingTool, runCommand } from '../../../image/build/build-tools.js';

t.test('every missing program is named once, with one apt-get line of their packages', async (t) => {
  const error = await checkHostTools(['mkfs.erofs', 'mmd', 'mcopy', 'sfdisk'], (p) =>
    Promise.resolve(p === 'sfdisk'),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'IMAGE_BUILD_TOOL_MISSING');
  t.match((error as Error).message, /mkfs\.erofs, mmd, mcopy/);
  t.match((error as Error).message, /apt-get install -y --no-install-recommends erofs-utils mtools$/);
  await t.resolves(checkHostTools(['sfdisk'], () => Promise.resolve(true)));
});

t.test('a program that is not installed → IMAGE_BUILD_TOOL_MISSING', async (t) => {
  await t.rejects(runCommand('constellation-no-such-program', []), { code: 'IMAGE_BUILD_TOOL_MISSING' });
  t.match(missingTool('mkosi').message, /apt-get install -y --no-install-recommends mkosi/);
});

t.test('a non-zero exit → IMAGE_BUILD_COMMAND_FAILED with the status and the end of stderr', async (t) => {
  const error = await runCommand('sh', ['-c', 'echo "disk full" >&2; exit 3']).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'IMAGE_BUILD_COMMAND_FAILED');
  t.match((error as Error).message, /found exit 3: disk full/);
});

t.test('stdin and the environment reach the program', async (t) => {
  const { stdout } = await runCommand('sh', ['-c', 'cat; printf "%s" "$X"'], { input: 'in-', env: { X: 'env' } });
  t.equal(stdout, 'in-env');
});
