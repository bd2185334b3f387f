// The measured image and its VM cluster, in one run (tens of minutes under TCG; not part of `npm run bench`):
//   - image build: cached (nothing changed) and, with --cold, from scratch (every stage but the package
//     download cache rebuilt); the image's size (disk.raw apparent and allocated, UKI, root partition);
//   - `mini up --nodes 1:2` to a verified cluster, per phase, against the same cluster as processes (`local up`,
//     same script: the baseline shows what booting real VMs under this accelerator adds);
//   - in each guest, first boot → mounted state disk: the Bootstrapper's probe of the blank disk to the LUKS2 +
//     dm-integrity volume formatted, opened and mounted (kernel timestamps of its log lines on the console), and
//     power-on → mounted as the host saw it;
//   - each VM's memory: QEMU's VmRSS with the cluster verified (the guest has 1 GiB), and its swtpm's.
//   - one VM alone (`--nodes 1:0 --no-init`, 2 vCPUs): power-on → serving and the state disk setup without other guests.
// Run: npm run build && node --import tsx bench/vm/mini-cluster.ts [--cold]
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { localDown } from '../../cli/commands/local-down.js';
import { localUp, subnetNetwork } from '../../cli/commands/local-up.js';
import { miniDown } from '../../cli/commands/mini-down.js';
import { miniUp } from '../../cli/commands/mini-up.js';
import { readPidFile } from '../../lib/local-cluster/owned-process.js';

process.env.TSS2_LOG ??= 'all+NONE';
const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const IMAGE = join(REPO, 'out/image');
const cold = process.argv.includes('--cold');
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function imageBuild(): Promise<number> {
  const started = performance.now();
  await run('npm', ['run', '--silent', 'image:build'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - started;
}

async function rssMiB(pidFile: string): Promise<number> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Kernel timestamps of the Bootstrapper's "state disk probed" (blank) and "state disk prepared" lines. */
function diskSetupSeconds(console: string): number | undefined {
  const at = (message: string): number | undefined => {
    const line = console.split('\n').find((l) => l.includes(`"msg":"${message}"`));
    const match = line === undefined ? null : /^\[\s*(\d+\.\d+)\]/.exec(line);
    return match === null ? undefined : Number(match[1]);
  };
  const probed = at('state disk probed');
  const prepared = at('state disk prepared for a new node');
  return probed === undefined || prepared === undefined ? undefined : prepared - probed;
}

// 1. Image build.
if (cold) {
  const cache = join(IMAGE, '.cache');
  const aside = `${cache}.bench-${String(process.pid)}`;
  await rename(cache, aside);
  try {
    // Keep the package download cache: a cold build still needs no network beyond what the first build fetched.
    await run('mkdir', ['-p', cache]);
    await run('cp', ['-a', join(aside, 'packages'), join(cache, 'packages')]).catch(() => undefined);
    console.log(`image build, cold (all stages):  ${s(await imageBuild())}`);
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}
if (!cold) console.log(`image build, bringing out/image up to date: ${s(await imageBuild())}`);
const cached = await imageBuild();
console.log(`image build, cached (nothing changed since the build before): ${s(cached)}`);
const disk = await stat(join(IMAGE, 'disk.raw'));
const uki = await stat(join(IMAGE, 'uki.efi'));
const partitions = JSON.parse((await run('sfdisk', ['--json', join(IMAGE, 'disk.raw')])).stdout) as {
  partitiontable: { partitions: { name: string; size: number }[] };
};
console.log(
  `image size: disk.raw ${mib(disk.size)} apparent, ${mib(disk.blocks * 512)} allocated; UKI ${mib(uki.size)}; ${partitions.partitiontable.partitions
    .map((p) => `${p.name} ${mib(p.size * 512)}`)
    .join(', ')}`,
);

// 2. Baseline: the same 3-node cluster as processes.
async function localCluster(): Promise<number> {
  const localWorkspace = await mkdtemp(join(tmpdir(), 'bench-local-'));
  try {
    const started = performance.now();
    await localUp({ workspace: localWorkspace, workers: 2, controlPlanes: 1, network: subnetNetwork('127.42.71') });
    return performance.now() - started;
  } finally {
    await localDown({ workspace: localWorkspace, deleteMasterSecret: true });
    await rm(localWorkspace, { recursive: true, force: true });
  }
}
const localMs = await localCluster();

// 3. The VM cluster.
const workspace = await mkdtemp(join(tmpdir(), 'bench-mini-'));
const started = performance.now();
const serving: Record<string, number> = {};
try {
  const up = await miniUp({
    workspace,
    controlPlanes: 1,
    workers: 2,
    imageDir: IMAGE,
    progress: (message) => {
      const match = /^(\S+): serving-init$/.exec(message);
      if (match?.[1] !== undefined) serving[match[1]] = performance.now() - started;
    },
  });
  const total = performance.now() - started;
  const unverified = (up.verification?.nodes ?? []).filter((n) => n.exitCode !== 0).map((n) => n.node.name);
  console.log(
    `mini up 1:2 → verified cluster: ${s(total)}   (target ≤ 180 s on 2 cores under TCG; feasibility: 3 bare VMs to multi-user in 139 s)${
      unverified.length === 0 ? '' : `   NOT VERIFIED: ${unverified.join(', ')}`
    }`,
  );
  for (const [phase, ms] of Object.entries(up.phases)) console.log(`    ${phase.padEnd(16)} ${s(ms)}`);
  console.log(`  baseline: local up (processes, same nodes) ${s(localMs)}; ratio ${(total / localMs).toFixed(0)}×`);
  for (const node of up.cluster.record.nodes) {
    const vm = up.cluster.layout.node(node.name);
    const setup = diskSetupSeconds(await readFile(vm.consoleLog, 'utf8'));
    console.log(
      `  ${node.name.padEnd(16)} state disk probed → formatted, opened, mounted: ${setup === undefined ? 'n/a' : `${setup.toFixed(1)} s`} (target ≤ 5 s); power-on → serving (disk mounted): ${s(serving[node.name] ?? Number.NaN)}; QEMU RSS ${(await rssMiB(vm.qemuPidFile)).toFixed(0)} MiB (1024 MiB guest), swtpm ${(await rssMiB(vm.swtpmPidFile)).toFixed(1)} MiB`,
    );
  }
} finally {
  await miniDown({ workspace, deleteMasterSecret: true });
  await rm(workspace, { recursive: true, force: true });
}

// 4. One VM alone (2 vCPUs, nothing else booting): the node's own first-boot cost without two other guests on the
// same two cores.
const single = await mkdtemp(join(tmpdir(), 'bench-mini1-'));
const singleStarted = performance.now();
try {
  const up = await miniUp({ workspace: single, controlPlanes: 1, workers: 0, imageDir: IMAGE, init: false });
  const poweredToServing = performance.now() - singleStarted;
  for (const node of up.cluster.record.nodes) {
    const setup = diskSetupSeconds(await readFile(up.cluster.layout.node(node.name).consoleLog, 'utf8'));
    console.log(
      `one VM alone (mini up 1:0 --no-init, 2 vCPUs) → serving Init: ${s(poweredToServing)}; state disk probed → formatted, opened, mounted: ${setup === undefined ? 'n/a' : `${setup.toFixed(1)} s`} (target ≤ 5 s)`,
    );
  }
} finally {
  await miniDown({ workspace: single, deleteMasterSecret: true });
  await rm(single, { recursive: true, force: true });
}
