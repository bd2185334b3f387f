// Local cluster bring-up: time from `local up` to a verified 3-node cluster (1 control plane + 2 workers), per
// phase (machines booted, workspace written, init, workers joined, verify), and each Bootstrapper's resident
// memory (/proc/<pid>/status VmRSS) once the cluster is verified. Baseline in the same run: the floor of any
// such cluster — 3 swtpms manufactured (EK certificates from one local CA) and started, plus 3 Node.js
// processes that only start and exit — so the ratio shows what our agents add on top.
// Run: node --import tsx bench/local-cluster.ts [rounds=2]   (uses 127.42.70.x; `npm run build:ts` first, so the
// agents run from dist/ as they do in `npm test`)
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalCa } from '../lib/swtpm/local-ca.js';
import { startSwtpm } from '../lib/swtpm/swtpm-process.js';
import { clusterLayout } from '../lib/local-cluster/cluster-layout.js';
import { readPidFile } from '../lib/local-cluster/owned-process.js';
import { localDown } from '../cli/commands/local-down.js';
import { localUp, subnetNetwork } from '../cli/commands/local-up.js';

process.env.TSS2_LOG ??= 'all+NONE';
const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 2);
const NODES = 3;
const network = subnetNetwork('127.42.70');

async function baseline(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-floor-'));
  try {
    const started = performance.now();
    const ca = await createLocalCa(join(dir, 'ca'));
    const tpms = await Promise.all(
      Array.from({ length: NODES }, (_, i) =>
        startSwtpm({ stateDir: join(dir, `tpm-${String(i)}`), ca, pcrBanks: ['sha256'], keepState: true }),
      ),
    );
    await Promise.all(Array.from({ length: NODES }, () => run(process.execPath, ['-e', ''])));
    const elapsed = performance.now() - started;
    await Promise.all(tpms.map((tpm) => tpm.stop()));
    return elapsed;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** VmRSS and its parts (RssFile is mostly the node binary and shared libraries, mapped from disk). */
async function rssMb(pid: number | undefined): Promise<{ total: number; anon: number; file: number }> {
  if (pid === undefined) return { total: Number.NaN, anon: Number.NaN, file: Number.NaN };
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { total: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

interface Round {
  readonly total: number;
  readonly phases: Record<string, number>;
  readonly rssMb: Record<string, { total: number; anon: number; file: number }>;
  /** Nodes verify did not accept (the figure then is not "to a verified cluster"). */
  readonly unverified: readonly string[];
}

async function bringUp(): Promise<Round> {
  const workspace = await mkdtemp(join(tmpdir(), 'bench-local-'));
  try {
    const started = performance.now();
    const up = await localUp({ workspace, workers: 2, controlPlanes: 1, network });
    const total = performance.now() - started;
    const { cluster, phases } = up;
    const unverified = (up.verification?.nodes ?? [])
      .filter((n) => n.exitCode !== 0)
      .map((n) => `${n.node.name}: ${n.error?.code ?? n.status}`);
    const rss: Round['rssMb'] = {};
    for (const node of cluster.nodes) {
      rss[node.name] = await rssMb(await readPidFile(clusterLayout(workspace).node(node.name).bootstrapperPidFile));
    }
    return { total, phases: { ...phases }, rssMb: rss, unverified };
  } finally {
    await localDown({ workspace, deleteMasterSecret: true });
    await rm(workspace, { recursive: true, force: true });
  }
}

const floors: number[] = [];
const results: Round[] = [];
for (let round = 0; round < rounds; round++) {
  floors.push(await baseline());
  results.push(await bringUp());
}
const best = results.reduce((a, b) => (b.total < a.total ? b : a));
const floor = Math.min(...floors);
const ms = (value: number): string => `${(value / 1000).toFixed(2)} s`;
console.log(
  `local cluster, 1 control plane + 2 workers, best of ${String(rounds)} (${(await run('nproc')).stdout.trim()} cores)`,
);
console.log(
  `  up → verified cluster: ${ms(best.total)}   (target ≤ 10 s)${
    best.unverified.length === 0 ? '' : `   NOT VERIFIED: ${best.unverified.join('; ')}`
  }`,
);
for (const [phase, value] of Object.entries(best.phases)) console.log(`    ${phase.padEnd(16)} ${ms(value)}`);
console.log(
  `  baseline (3 swtpm manufactured + started, 3 bare node processes): ${ms(floor)}; ratio ${(best.total / floor).toFixed(1)}×`,
);
const rss = Object.entries(best.rssMb);
for (const [node, mb] of rss) {
  console.log(
    `  Bootstrapper RSS ${node.padEnd(16)} ${mb.total.toFixed(1)} MB (anon ${mb.anon.toFixed(1)}, file-backed ${mb.file.toFixed(1)})   (target ≤ 80 MB)`,
  );
}
console.log(`  all rounds: ${results.map((r) => ms(r.total)).join(', ')}`);
