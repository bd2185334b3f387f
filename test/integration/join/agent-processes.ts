// Spawns the KMS, the JoinService and simulated nodes as real processes for the join tests and the bench.
// Every child is killed and every temp dir removed in the caller's teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { generateMasterSecret, writeMasterSecret, type MasterSecret } from '../../../lib/crypto/index.js';
import { createLocalCa, type LocalCa } from '../../../lib/swtpm/local-ca.js';
import { startSwtpm, type Swtpm } from '../../../lib/swtpm/swtpm-process.js';
import type { NodeSpec } from './node-process.js';

const repo = new URL('../../../', import.meta.url).pathname;

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly stdoutLines: unknown[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout JSON line satisfying `match`. */
  line<T>(match: (value: Record<string, unknown>) => boolean): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnAgent(
  t: Teardown,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: readonly string[] = [],
): AgentProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, TSS2_LOG: 'all+NONE', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdoutLines: Record<string, unknown>[] = [];
  const waiters: { match: (v: Record<string, unknown>) => boolean; resolve: (v: unknown) => void }[] = [];
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    stdoutLines.push(value);
    for (const waiter of waiters.filter((w) => w.match(value))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(value);
    }
  });
  // 'close', not 'exit': stdout is fully read by then, so a last line is never lost to the race.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  // SIGTERM first so agents and nodes stop their own children (swtpm); SIGKILL if that takes too long.
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await stop('SIGTERM');
    clearTimeout(timer);
  });
  return {
    child,
    stdoutLines,
    stderr,
    exited,
    line: <T>(match: (value: Record<string, unknown>) => boolean) => {
      const found = stdoutLines.find(match);
      if (found !== undefined) return Promise.resolve(found as T);
      return Promise.race([
        new Promise<T>((resolve) => waiters.push({ match, resolve: resolve as (v: unknown) => void })),
        exited.then((code): T => {
          throw new Error(
            `${script} exited with ${String(code)}: ${JSON.stringify(stdoutLines.slice(-3))} ${stderr.join('').slice(-2000)}`,
          );
        }),
      ]);
    },
    stop,
  };
}

/** Audit lines (stderr-json) of a JoinService process. */
export function auditLines(agent: AgentProcess): Record<string, unknown>[] {
  return agent.stderr
    .join('')
    .split('\n')
    .filter((line) => line.includes('"audit":true'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface Cluster {
  readonly dir: string;
  readonly ca: LocalCa;
  readonly masterSecret: MasterSecret;
  readonly kms: AgentProcess;
  readonly kmsAddress: string;
  readonly serviceTpm: Swtpm;
  readonly files: { policy: string; roots: string; intermediates: string; cluster: string };
  readonly challengeKey: string;
}

/** KMS process + the JoinService's swtpm + the config files; the JoinService itself via startJoinService. */
export async function startCluster(t: Teardown, policy: unknown = {}): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'join-it-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ca = await createLocalCa(join(dir, 'ca'));
  const serviceTpm = await startSwtpm({ ca, pcrBanks: ['sha256'], stateDir: join(dir, 'service-tpm') });
  t.teardown(() => serviceTpm.stop());
  const masterSecret = generateMasterSecret();
  const secretFile = join(dir, 'constellation-mastersecret.json');
  await writeMasterSecret(secretFile, masterSecret);
  const kms = spawnAgent(t, 'agents/kms/main.ts', [
    '--listen',
    '127.0.0.1:0',
    '--master-secret-file',
    secretFile,
    '--log-transport',
    'stderr-json',
  ]);
  const { listening: kmsAddress } = await kms.line<{ listening: string }>((v) => 'listening' in v);
  const files = {
    policy: join(dir, 'policy.json'),
    roots: join(dir, 'roots.pem'),
    intermediates: join(dir, 'intermediates.pem'),
    cluster: join(dir, 'cluster.json'),
  };
  await writeFile(files.policy, JSON.stringify(policy));
  await writeFile(files.roots, await ca.rootPem());
  await writeFile(files.intermediates, await ca.intermediatePem());
  await writeFile(
    files.cluster,
    JSON.stringify({
      measurementSalt: randomBytes(32).toString('hex'),
      apiServerEndpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
      controlPlaneFiles: [{ name: 'pki/ca.key', data: Buffer.from('test CA key').toString('base64') }],
    }),
  );
  return { dir, ca, masterSecret, kms, kmsAddress, serviceTpm, files, challengeKey: randomBytes(32).toString('hex') };
}

export async function startJoinService(
  t: Teardown,
  cluster: Cluster,
  listen = '127.0.0.1:0',
  /** Extra node flags, e.g. --cpu-prof for the bench. */
  nodeArgs: readonly string[] = [],
): Promise<{ agent: AgentProcess; address: string; akName: string }> {
  const agent = spawnAgent(
    t,
    'agents/joinservice/main.ts',
    [
      '--listen',
      listen,
      '--tpm-tcti',
      cluster.serviceTpm.tcti,
      '--kms-address',
      cluster.kmsAddress,
      '--policy-file',
      cluster.files.policy,
      '--ek-roots-file',
      cluster.files.roots,
      '--ek-intermediates-file',
      cluster.files.intermediates,
      '--cluster-file',
      cluster.files.cluster,
      '--event-log-path',
      '/nonexistent/binary_bios_measurements',
      '--log-transport',
      'stderr-json',
    ],
    {},
    nodeArgs,
  );
  const ready = await agent.line<{ listening: string; akName: string }>((v) => 'listening' in v);
  return { agent, address: ready.listening, akName: ready.akName };
}

export function spawnNode(t: Teardown, spec: NodeSpec): AgentProcess {
  return spawnAgent(t, 'test/integration/join/node-process.ts', [JSON.stringify(spec)]);
}
