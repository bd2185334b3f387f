// State disk on a 64 MiB sparse file with real cryptsetup: prepareNew (luksFormat + header copy + validation),
// bindClusterKey (luksChangeKey + tokens 0 and 1 in one header write), open (header validation + key check) and probe,
// best of 5, against the baseline of spawning `cryptsetup --version`. This host has no device-mapper, so the
// mapping, mkfs and mount steps are stood in for (they cost nothing here); the figures are the cryptsetup work
// a booting node pays. Run: node --import tsx bench/disk-format.ts
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaRunner, luksStateDisk, type CryptsetupRunner } from '../lib/disk/index.js';

const ok = { exitCode: 0, stdout: '', stderr: '', missing: false };
const withoutDeviceMapper: CryptsetupRunner = {
  run(program, args, input) {
    if (program !== 'cryptsetup' || args[0] === 'close') return Promise.resolve(ok);
    if (args[0] === 'open' && !args.includes('--test-passphrase')) return Promise.resolve(ok);
    return execaRunner.run(program, args, input);
  },
};

async function best(name: string, rounds: number, fn: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`${name.padEnd(58)} ${fastest.toFixed(1).padStart(8)} ms`);
  return fastest;
}

const dir = await mkdtemp(join(tmpdir(), 'disk-bench-'));
try {
  const device = join(dir, 'state.img');
  const baseline = await best('baseline: spawn cryptsetup --version', 5, async () => {
    await execaRunner.run('cryptsetup', ['--version']);
  });
  const key = randomBytes(32);
  const prepare = await best('prepareNew (blank file → pending)', 5, async () => {
    await writeFile(device, '');
    await truncate(device, 64 * 1024 * 1024);
    const disk = await luksStateDisk({
      device,
      mountPoint: join(dir, 'mnt'),
      integrity: false,
      cryptsetup: withoutDeviceMapper,
    });
    await disk.prepareNew();
  });
  const disk = await luksStateDisk({
    device,
    mountPoint: join(dir, 'mnt'),
    integrity: false,
    cryptsetup: withoutDeviceMapper,
  });
  let bind = Infinity;
  for (let i = 0; i < 5; i++) {
    await disk.markForReset();
    await disk.prepareNew();
    const start = process.hrtime.bigint();
    await disk.bindClusterKey(key, { measurementSalt: randomBytes(32), clusterId: randomBytes(32) });
    bind = Math.min(bind, Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`${'bindClusterKey (pending → initialized)'.padEnd(58)} ${bind.toFixed(1).padStart(8)} ms`);
  await best('open (validate header copy + key check)', 5, async () => {
    await disk.open(key);
  });
  await best('probe', 5, async () => {
    await disk.probe();
  });
  console.log(
    `ratio (prepareNew + bindClusterKey) / one cryptsetup spawn: ${((prepare + bind) / baseline).toFixed(1)}x`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
