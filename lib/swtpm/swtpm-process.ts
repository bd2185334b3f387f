// A throw-away software TPM (swtpm) on a unix socket, for tests, the demo and the local cluster.
// Pitfalls handled here (feasibility-tpm-grpc.md §7): absolute state paths, the control socket
// at `<path>.ctrl`, one client at a time, and a state directory that must exist beforehand.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, mkdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConstellationError } from '../errors.js';
import { createEkCertificates, type LocalCa } from './local-ca.js';

export interface SwtpmOptions {
  /** Directory for the TPM state; a fresh temporary one when absent. Made absolute. */
  readonly stateDir?: string;
  /** Provision RSA and ECC EKs with certificates issued by this local CA (`swtpm_setup --create-ek-cert`). */
  readonly ca?: LocalCa;
  /** PCR banks to activate when provisioning with a CA (default sha1,sha256,sha384). */
  readonly pcrBanks?: readonly ('sha1' | 'sha256' | 'sha384' | 'sha512')[];
  /** Keep the state directory on stop (for restarts on the same state). */
  readonly keepState?: boolean;
}

export interface Swtpm {
  /** TCTI configuration string for tpm2-tss and tpm2-tools, e.g. `swtpm:path=/tmp/x/tpm.sock`. */
  readonly tcti: string;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;

function waitForSocket(path: string, deadline: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const attempt = (): void => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.destroy();
        resolvePromise();
      });
      socket.once('error', (error) => {
        socket.destroy();
        if (Date.now() > deadline) reject(error);
        else setTimeout(attempt, 5);
      });
    };
    attempt();
  });
}

async function swtpmLog(stateDir: string): Promise<string> {
  try {
    return (await readFile(join(stateDir, 'swtpm.log'), 'utf8')).trim();
  } catch {
    return '';
  }
}

/** Starts a swtpm that listens on `<stateDir>/tpm.sock`; resolves once it accepts connections. */
export async function startSwtpm(options: SwtpmOptions = {}): Promise<Swtpm> {
  const stateDir = resolve(options.stateDir ?? (await mkdtemp(join(tmpdir(), 'swtpm-'))));
  await mkdir(stateDir, { recursive: true });
  if (options.ca) await createEkCertificates(options.ca, stateDir, options.pcrBanks ?? ['sha1', 'sha256', 'sha384']);
  const socketPath = join(stateDir, 'tpm.sock');
  // swtpm lets its server socket be a `type=unixio` path; the TCTI derives `<path>.ctrl` itself.
  const child: ChildProcess = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--server',
      `type=unixio,path=${socketPath}`,
      '--ctrl',
      `type=unixio,path=${socketPath}.ctrl`,
      '--tpmstate',
      `dir=${stateDir}`,
      '--flags',
      'not-need-init,startup-clear',
      '--log',
      `file=${join(stateDir, 'swtpm.log')},level=1`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      resolveExit(code);
    }),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => {
      reject(
        new ConstellationError(
          'SWTPM_UNAVAILABLE',
          `Expected the swtpm executable on PATH but starting it failed: ${error.message}. Install it with: apt-get install swtpm swtpm-tools`,
          { cause: error },
        ),
      );
    }),
  );
  const early = exited.then((code) => {
    throw new ConstellationError(
      'SWTPM_EXITED',
      `swtpm exited with code ${String(code)} before it was ready: ${stderr.trim()}`,
    );
  });
  try {
    await Promise.race([waitForSocket(socketPath, Date.now() + READY_TIMEOUT_MS), spawnError, early]);
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof ConstellationError) throw error;
    throw new ConstellationError(
      'SWTPM_NOT_READY',
      `Expected swtpm to accept connections on ${socketPath} within ${READY_TIMEOUT_MS} ms but it did not: ${await swtpmLog(stateDir)}`,
      { cause: error },
    );
  }
  early.catch(() => undefined);
  let stopped = false;
  return {
    tcti: `swtpm:path=${socketPath}`,
    stateDir,
    socketPath,
    pid: child.pid ?? -1,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      if (options.keepState !== true) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
