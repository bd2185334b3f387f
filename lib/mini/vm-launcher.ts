// One VM of a cluster: its files made once (firmware NVRAM copy, a qcow2 overlay over the read-only base disk, a
// sparse state disk, a TPM manufactured with an EK certificate from the image's CA), then powered on as two
// detached processes (swtpm on the host, QEMU inside the network namespace) and off again. As in
// lib/local-cluster, pid files are trusted only when /proc/<pid>/cmdline names a path of this VM.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { Tpm } from '../../native/tpm.js';
import { keyFingerprint } from '../attestation/verify/ak-trust.js';
import { ConstellationError, InputError } from '../errors.js';
import { startDetached } from '../local-cluster/detached-process.js';
import { appendNodeEvent, readNodeEvents } from '../local-cluster/node-events.js';
import { findOwnedProcess, isAlive, sleep, stopOwnedProcess } from '../local-cluster/owned-process.js';
import { createEkCertificates, type LocalCa } from '../swtpm/local-ca.js';
import { shutdownTpmOrderly } from '../swtpm/orderly-shutdown.js';
import { startSwtpm } from '../swtpm/swtpm-process.js';
import { vmLayoutAt, type VmLayout } from './mini-layout.js';
import { qemuArguments, STATE_DISK_BYTES, swtpmArguments, type VmSpec } from './vm-spec.js';

/** PCR banks of every VM's TPM: the measurements and the policy use SHA-256 only. */
export const VM_PCR_BANKS = ['sha256'] as const;

export interface PreparedVm {
  readonly layout: VmLayout;
  /** RFC 7638 thumbprint (hex) of the RSA EK, from its certificate. */
  readonly ekFingerprint: string;
}

/** Makes the VM's files and TPM; refuses a directory that already has a VM (nothing is overwritten). */
export async function prepareVm(
  nodeDir: string,
  spec: VmSpec,
  ca: LocalCa,
  tools: { ovmfVars: string; qemuImg?: string },
): Promise<PreparedVm> {
  const layout = vmLayoutAt(nodeDir);
  await mkdir(layout.dir, { recursive: true });
  await writeFile(layout.specFile, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644, flag: 'wx' }).catch(
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new InputError('MINI_VM_EXISTS', `Expected no VM in ${layout.dir}, found ${layout.specFile}`);
    },
  );
  await copyFile(tools.ovmfVars, layout.varsFile);
  const { execa } = await import('execa');
  const overlay = await execa(
    tools.qemuImg ?? 'qemu-img',
    ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', spec.baseDisk, layout.bootDisk],
    { reject: false, stdin: 'ignore' },
  );
  if (overlay.exitCode !== 0) {
    throw new ConstellationError(
      'MINI_VM_DISK_FAILED',
      `Expected qemu-img to create an overlay over ${spec.baseDisk}, found exit code ${String(overlay.exitCode)}: ${overlay.stderr.trim()}`,
    );
  }
  // Sparse: 1 GiB apparent, nothing allocated until the guest writes (never-written sectors read as zeros).
  const state = await open(layout.stateDisk, 'wx', 0o600);
  await state.truncate(STATE_DISK_BYTES);
  await state.close();
  await mkdir(layout.tpmDir, { recursive: true });
  await createEkCertificates(ca, layout.tpmDir, VM_PCR_BANKS);
  const certificate = await readEkCertificate(layout.tpmDir);
  await writeAtomically(layout.ekCertificate, certificate.toString());
  return { layout, ekFingerprint: keyFingerprint(certificate.publicKey) };
}

/** Reads the RSA EK certificate from a manufactured TPM (a short-lived swtpm, shut down in order). */
async function readEkCertificate(tpmDir: string): Promise<X509Certificate> {
  const swtpm = await startSwtpm({ stateDir: tpmDir, keepState: true });
  try {
    const tpm = await Tpm.open(swtpm.tcti);
    let der: Buffer | undefined;
    try {
      der = await tpm.readEkCertificate('rsa');
    } finally {
      await tpm.close();
    }
    if (der === undefined) {
      throw new ConstellationError(
        'MINI_EK_MISSING',
        `Expected an RSA EK certificate in the TPM of ${tpmDir}, found none`,
      );
    }
    await shutdownTpmOrderly(swtpm.socketPath);
    return new X509Certificate(der);
  } finally {
    await swtpm.stop();
    // The throw-away swtpm's socket and log are not the VM's.
    await rm(join(tpmDir, 'tpm.sock'), { force: true });
    await rm(join(tpmDir, 'tpm.sock.ctrl'), { force: true });
  }
}

/** The VM's spec from its directory. */
export async function readVmSpec(nodeDir: string): Promise<VmSpec> {
  const layout = vmLayoutAt(nodeDir);
  try {
    return JSON.parse(await readFile(layout.specFile, 'utf8')) as VmSpec;
  } catch (error) {
    throw new InputError(
      'MINI_VM_SPEC_INVALID',
      `Expected a VM spec at ${layout.specFile}, found: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

export interface PoweredOnVm {
  readonly qemuPid: number;
  readonly swtpmPid: number;
  /** The power-on count of this VM (1 = first boot). */
  readonly boot: number;
}

/** Starts swtpm, then QEMU in the network namespace; resolves once QEMU runs (the guest boots on its own). */
export async function powerOnVm(nodeDir: string, tools: { qemu?: string; swtpm?: string } = {}): Promise<PoweredOnVm> {
  const layout = vmLayoutAt(nodeDir);
  const spec = await readVmSpec(nodeDir);
  const running = await findOwnedProcess(layout.qemuPidFile, layout.bootDisk);
  if (running !== undefined) {
    throw new ConstellationError(
      'MINI_VM_RUNNING',
      `Expected the VM ${spec.name} to be off, found QEMU running as pid ${String(running.pid)}: stop it first`,
    );
  }
  // A swtpm left behind by a QEMU that was killed would hold the socket.
  await stopOwnedProcess(layout.swtpmPidFile, layout.tpmDir, 2000);
  const boot = (await readNodeEvents(layout.events)).filter((event) => event.event === 'qemu-started').length + 1;
  await rm(layout.swtpmSocket, { force: true });
  const swtpmPid = await startDetached({
    command: { command: tools.swtpm ?? 'swtpm', args: [] },
    args: swtpmArguments(layout),
    cwd: layout.dir,
    stdoutFile: layout.swtpmLog,
    stderrFile: layout.swtpmLog,
    pidFile: layout.swtpmPidFile,
  });
  await waitForSocket(layout.swtpmSocket, swtpmPid, 'swtpm', layout.swtpmLog);
  raisePriority(swtpmPid);
  // `ip netns exec` execs QEMU in place: the pid file holds QEMU's pid, its command line names our overlay.
  const qemuPid = await startDetached({
    command: { command: 'ip', args: ['netns', 'exec', spec.namespace, tools.qemu ?? 'qemu-system-x86_64'] },
    args: qemuArguments(spec, layout),
    cwd: layout.dir,
    stdoutFile: layout.qemuLog,
    stderrFile: layout.qemuLog,
    pidFile: layout.qemuPidFile,
  });
  await waitForSocket(layout.qmpSocket, qemuPid, 'QEMU', layout.qemuLog);
  await appendNodeEvent(layout.events, { boot, source: 'machine', event: 'qemu-started', qemuPid, swtpmPid });
  return { qemuPid, swtpmPid, boot };
}

/**
 * Powers the VM off: an ACPI power-button press through QMP when `graceMs` > 0 (the guest shuts down in order,
 * its TPM gets TPM2_Shutdown), SIGTERM after the grace period, SIGKILL after 10 s more; then swtpm (it normally
 * exits with QEMU). "shut-down": the guest powered itself off within the grace period.
 */
export async function powerOffVm(
  nodeDir: string,
  graceMs = 0,
): Promise<'not-running' | 'shut-down' | 'terminated' | 'killed'> {
  const layout = vmLayoutAt(nodeDir);
  const qemu = await findOwnedProcess(layout.qemuPidFile, layout.bootDisk);
  let shutDown = false;
  if (qemu !== undefined && graceMs > 0) {
    await qmpCommand(layout.qmpSocket, 'system_powerdown').catch(() => undefined);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && isAlive(qemu.pid)) await sleep(100);
    shutDown = !isAlive(qemu.pid);
  }
  const stopped = await stopOwnedProcess(layout.qemuPidFile, layout.bootDisk, 10_000);
  const outcome = shutDown ? 'shut-down' : stopped;
  // QEMU ran the state disk with cache=unsafe (vm-spec.ts): its writes are durable on the host only from here.
  if (outcome !== 'not-running') await syncFile(layout.stateDisk);
  await stopOwnedProcess(layout.swtpmPidFile, layout.tpmDir, 5_000);
  for (const socket of [layout.qmpSocket, layout.swtpmSocket]) await rm(socket, { force: true });
  if (outcome !== 'not-running') {
    const events = await readNodeEvents(layout.events);
    const boot = events.filter((event) => event.event === 'qemu-started').length;
    await appendNodeEvent(layout.events, { boot, source: 'machine', event: 'powered-off', outcome });
  }
  return outcome;
}

/** fsync of `path`; nothing when it does not exist. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (handle === undefined) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * swtpm needs little CPU but must answer at once: under TCG every QEMU keeps a host core busy, and a swtpm that waits
 * for a core made the guest kernel's TPM command time out (ETIME; systemd-pcrphase then failed and PCR 11 missed a
 * phase, so the node was refused). Best effort: only root may raise a priority.
 */
export const SWTPM_NICE = -10;

function raisePriority(pid: number): void {
  try {
    setPriority(pid, SWTPM_NICE);
  } catch {
    // not root, or the process is gone: it runs at the default priority
  }
}

/** The QEMU pid of a running VM, undefined when it is off. */
export async function vmRunning(nodeDir: string): Promise<number | undefined> {
  const layout = vmLayoutAt(nodeDir);
  return (await findOwnedProcess(layout.qemuPidFile, layout.bootDisk))?.pid;
}

async function waitForSocket(path: string, pid: number, what: string, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const connected = await new Promise<boolean>((resolveConnect) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.destroy();
        resolveConnect(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolveConnect(false);
      });
    });
    if (connected) return;
    if (!isAlive(pid) || Date.now() > deadline) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join(' | ');
      throw new ConstellationError(
        'MINI_VM_START_FAILED',
        `Expected ${what} to listen on ${path}, found it ${isAlive(pid) ? 'not listening after 15 s' : 'exited'}: ${tail}`,
      );
    }
    await sleep(50);
  }
}

/** One QMP command (capabilities negotiation first), for the power button. */
async function qmpCommand(socketPath: string, command: string): Promise<void> {
  await new Promise<void>((resolveCommand, reject) => {
    const socket = connect(socketPath);
    let buffered = '';
    let stage = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('QMP timeout'));
    }, 5000);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (stage === 0 && line.includes('"QMP"')) {
          stage = 1;
          socket.write('{"execute":"qmp_capabilities"}\n');
        } else if (stage === 1 && line.includes('"return"')) {
          stage = 2;
          socket.write(`${JSON.stringify({ execute: command })}\n`);
        } else if (stage === 2 && line.includes('"return"')) {
          clearTimeout(timer);
          socket.end();
          resolveCommand();
        }
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function writeAtomically(path: string, data: string): Promise<void> {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, data, { mode: 0o644 });
  await rename(temporary, path);
}

/** True when the VM's files exist (prepareVm ran). */
export function vmPrepared(nodeDir: string): boolean {
  return existsSync(vmLayoutAt(nodeDir).specFile);
}
