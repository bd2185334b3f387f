// Builds the native addons (tpm2-<os>-<arch>.node, tee_guest.node and systemd.node) with npm's bundled node-gyp, offline:
// Node headers come from --nodedir=/usr, never from a download. Checks the toolchain first so a missing piece
// is named with its fix instead of surfacing as a compiler error deep in the log.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const nodedir = process.env.npm_config_nodedir || '/usr';

function found(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

const missing = [];
const nodeGyp = [process.env.npm_config_node_gyp, '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js']
  .filter(Boolean)
  .find((path) => existsSync(path));
if (!nodeGyp) missing.push('node-gyp (bundled with npm; reinstall npm, or set npm_config_node_gyp to node-gyp.js)');
if (!found('pkg-config', ['--version'])) missing.push('pkg-config (apt-get install pkg-config)');
else if (!found('pkg-config', ['--exists', 'tss2-esys', 'tss2-tctildr', 'tss2-mu', 'tss2-rc'])) {
  missing.push('tpm2-tss development files (apt-get install libtss2-dev)');
}
if (!found('g++', ['--version'])) missing.push('a C++17 compiler (apt-get install g++)');
if (!found('make', ['--version'])) missing.push('make (apt-get install make)');
if (!found('python3', ['--version'])) missing.push('python3 (apt-get install python3)');
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  missing.push(`Node headers in ${nodedir}/include/node (apt-get install libnode-dev, or set npm_config_nodedir)`);
}
if (missing.length > 0) {
  process.stderr.write(`Cannot build the native addons; missing:\n  - ${missing.join('\n  - ')}\n`);
  process.stderr.write('One command for Debian: apt-get install libtss2-dev pkg-config g++ make python3\n');
  process.exit(1);
}

const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--directory', nativeDir, `--nodedir=${nodedir}`], {
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.status !== 0) {
  process.stderr.write(
    `node-gyp rebuild failed with exit code ${String(result.status)}; see the compiler output above.\n`,
  );
  process.exit(result.status ?? 1);
}
