// One machine of the local cluster: a supervisor that plays the node's hardware. It owns the node's swtpm
// (state kept across reboots, so the EK and with it the node's identity stay), runs the simulated firmware
// boot (PCRs extended, TCG event log written), then starts the Bootstrapper as the only TPM user. When the
// Bootstrapper exits non-zero or is killed, the machine reboots: swtpm restarts (PCRs reset, EK kept), the
// firmware boots again, a new Bootstrapper starts. `powerOff()` (SIGTERM in machine-main.ts) stops both.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Tpm } from '../../native/tpm.js';
import { keyFingerprint } from '../attestation/verify/ak-trust.js';
import type { Logger } from '../log/index.js';
import { createEkCertificates, type LocalCa } from '../swtpm/local-ca.js';
import { shutdownTpmOrderly } from '../swtpm/orderly-shutdown.js';
import { startSwtpm, type Swtpm } from '../swtpm/swtpm-process.js';
import type { AgentCommand } from './agent-command.js';
import { nodeLayoutAt, type NodeLayout } from './cluster-layout.js';
import type { MachineSpec } from './machine-spec.js';
import { appendNodeEvent } from './node-events.js';
import { stopOwnedProcess, writePidFile, sleep } from './owned-process.js';

/** The simulated firmware: extends the PCRs of a freshly started TPM and returns the TCG event log. */
export type Firmware = (tpm: Tpm) => Promise<Buffer>;

export interface MachineOptions {
  readonly spec: MachineSpec;
  readonly ca: LocalCa;
  readonly firmware: Firmware;
  readonly bootstrapper: AgentCommand;
  readonly logger: Logger;
  /** Recorded in each `booted` event so a timeline shows a tampered boot (never a secret). */
  readonly firmwareDescription?: Record<string, unknown>;
}

/** PCR banks of every node's TPM: the policy and the event log use SHA-256. */
export const PCR_BANKS = ['sha256'] as const;

/** A Bootstrapper that ran at least this long gets an immediate reboot; quicker failures back off. */
const HEALTHY_RUN_MS = 10_000;
const MAX_REBOOT_DELAY_MS = 5_000;
const BOOTSTRAPPER_GRACE_MS = 10_000;
const RETRY_INTERVAL_MS = 250;

export class Machine {
  readonly #options: MachineOptions;
  readonly #layout: NodeLayout;
  #boot = 0;
  #poweringOff = false;
  #bootstrapper: ChildProcess | undefined;
  #swtpm: Swtpm | undefined;

  constructor(options: MachineOptions) {
    this.#options = options;
    this.#layout = nodeLayoutAt(options.spec.nodeDir);
  }

  /** Boots, supervises and reboots until `powerOff()`; resolves when the machine is off. */
  async run(): Promise<void> {
    const { logger } = this.#options;
    let quickFailures = 0;
    await mkdir(this.#layout.stateDir, { recursive: true });
    await this.#event('powered-on', { pid: process.pid });
    while (!this.#poweringOff) {
      this.#boot += 1;
      const started = Date.now();
      let exit: { code: number | null; signal: NodeJS.Signals | null };
      try {
        await this.#startHardware();
        if (this.#isPoweringOff()) break;
        exit = await this.#runBootstrapper();
      } catch (error) {
        // A firmware or TPM failure is a failed boot like any other: log it and try again.
        logger.error('boot failed', { boot: this.#boot, error: (error as Error).message });
        await this.#event('boot-failed', { message: (error as Error).message });
        exit = { code: null, signal: null };
      }
      await this.#stopHardware();
      if (this.#isPoweringOff()) break;
      quickFailures = Date.now() - started >= HEALTHY_RUN_MS ? 0 : quickFailures + 1;
      const delay = quickFailures <= 1 ? 0 : Math.min(200 * 2 ** (quickFailures - 2), MAX_REBOOT_DELAY_MS);
      logger.warn('rebooting', { boot: this.#boot, exitCode: exit.code, signal: exit.signal, delayMs: delay });
      await this.#event('rebooting', { exitCode: exit.code, signal: exit.signal, delayMs: delay });
      await sleep(delay);
    }
    await this.#stopHardware();
    await this.#event('powered-off', {});
  }

  /** Stops the Bootstrapper (SIGTERM, SIGKILL after a grace period) and the TPM; `run()` then resolves. */
  powerOff(): void {
    if (this.#poweringOff) return;
    this.#poweringOff = true;
    const child = this.#bootstrapper;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), BOOTSTRAPPER_GRACE_MS).unref();
    }
  }

  /** A method, not the field: powerOff() flips it from a signal handler while run() awaits. */
  #isPoweringOff(): boolean {
    return this.#poweringOff;
  }

  async #startHardware(): Promise<void> {
    const { spec, ca, firmware, logger } = this.#options;
    // A swtpm left behind by a machine that was SIGKILLed would hold the socket: stop it first.
    await stopOwnedProcess(this.#layout.swtpmPidFile, this.#layout.tpmDir, 2000);
    if (!existsSync(join(this.#layout.tpmDir, 'tpm2-00.permall'))) {
      await mkdir(this.#layout.tpmDir, { recursive: true });
      await createEkCertificates(ca, this.#layout.tpmDir, PCR_BANKS);
      logger.info('TPM manufactured', { node: spec.name });
    }
    this.#swtpm = await startSwtpm({ stateDir: this.#layout.tpmDir, keepState: true });
    await writePidFile(this.#layout.swtpmPidFile, this.#swtpm.pid);
    const tpm = await Tpm.open(this.#swtpm.tcti);
    let ekFingerprint: string | undefined;
    try {
      const eventLog = await firmware(tpm);
      await writeAtomically(this.#layout.eventLog, eventLog);
      ekFingerprint = await this.#recordEk(tpm);
    } finally {
      await tpm.close();
    }
    await this.#event('booted', { ekFingerprint, firmware: this.#options.firmwareDescription ?? {} });
  }

  async #recordEk(tpm: Tpm): Promise<string | undefined> {
    const der = await tpm.readEkCertificate('rsa');
    if (der === undefined) return undefined;
    const certificate = new X509Certificate(der);
    if (!existsSync(this.#layout.ekCertificate))
      await writeAtomically(this.#layout.ekCertificate, certificate.toString());
    return keyFingerprint(certificate.publicKey);
  }

  async #runBootstrapper(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const { spec, bootstrapper } = this.#options;
    const swtpm = this.#swtpm;
    if (swtpm === undefined) throw new Error('the TPM must run before the Bootstrapper');
    const stderr = await open(this.#layout.bootstrapperLog, 'a');
    try {
      const child = spawn(
        bootstrapper.command,
        [...bootstrapper.args, ...bootstrapperArguments(spec, this.#layout, swtpm.tcti)],
        {
          stdio: ['ignore', 'pipe', stderr.fd],
          env: { ...process.env, TSS2_LOG: process.env.TSS2_LOG ?? 'all+NONE' },
        },
      );
      this.#bootstrapper = child;
      // Powered off while we were spawning: powerOff() found no child to stop, so stop it here.
      if (this.#isPoweringOff()) child.kill('SIGTERM');
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
        child.once('exit', (code, signal) => {
          resolveExit({ code, signal });
        });
        child.once('error', () => {
          resolveExit({ code: null, signal: null });
        });
      });
      if (child.pid !== undefined) await writePidFile(this.#layout.bootstrapperPidFile, child.pid);
      await this.#event('bootstrapper-started', { pid: child.pid });
      // Milestones arrive as JSON lines on stdout; the node's timeline records them in order.
      let relayed = Promise.resolve();
      const stdout = child.stdout;
      if (stdout === null) throw new Error('the Bootstrapper was spawned without a stdout pipe');
      const lines = createInterface({ input: stdout });
      lines.on('line', (line) => {
        relayed = relayed.then(() => this.#relay(line));
      });
      const exit = await exited;
      await new Promise<void>((resolveClosed) => {
        if (stdout.closed) resolveClosed();
        else
          stdout.once('close', () => {
            resolveClosed();
          });
      });
      await relayed;
      await rm(this.#layout.bootstrapperPidFile, { force: true });
      await this.#event('bootstrapper-exited', { exitCode: exit.code, signal: exit.signal });
      return exit;
    } finally {
      this.#bootstrapper = undefined;
      await stderr.close();
    }
  }

  async #relay(line: string): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string') {
      const { event, ...fields } = value as { event: string } & Record<string, unknown>;
      await appendNodeEvent(this.#layout.events, { ...fields, boot: this.#boot, source: 'bootstrapper', event });
    } else {
      await appendNodeEvent(this.#layout.events, { boot: this.#boot, source: 'bootstrapper', event: 'stdout', line });
    }
  }

  async #stopHardware(): Promise<void> {
    const swtpm = this.#swtpm;
    this.#swtpm = undefined;
    if (swtpm !== undefined) await shutDownAndStop(swtpm, this.#options.logger);
    await rm(this.#layout.swtpmPidFile, { force: true });
  }

  #event(event: string, fields: Record<string, unknown>): Promise<void> {
    return appendNodeEvent(this.#layout.events, { ...fields, boot: this.#boot, source: 'machine', event });
  }
}

async function shutDownAndStop(swtpm: Swtpm, logger: Logger): Promise<void> {
  // As an operating system does before power-off or reboot; the Bootstrapper has exited, so we are the
  // only client. Without it every power cycle counts towards the TPM's dictionary-attack lockout.
  try {
    await shutdownTpmOrderly(swtpm.socketPath);
  } catch (error) {
    logger.warn('TPM not shut down in order', { error: (error as Error).message });
  }
  await swtpm.stop();
}

/** The Bootstrapper's command line (contract: agents/bootstrapper flags). */
export function bootstrapperArguments(spec: MachineSpec, layout: NodeLayout, tcti: string): string[] {
  return [
    '--node-address',
    spec.address,
    '--tcti',
    tcti,
    '--metadata-url',
    spec.metadataUrl,
    '--state-disk',
    'none',
    '--state-dir',
    layout.stateDir,
    '--event-log',
    layout.eventLog,
    '--ek-roots',
    spec.ekRootsFile,
    '--ek-intermediates',
    spec.ekIntermediatesFile,
    '--services',
    'in-process',
    '--kubernetes',
    'none',
    '--log-transport',
    'stderr-json',
    '--log-level',
    spec.logLevel,
    // Workers poll the metadata and the JoinService until the control plane exists: a short pause lets them
    // join within a fraction of a second of init (each round is one metadata request until then).
    '--retry-interval-ms',
    String(RETRY_INTERVAL_MS),
  ];
}

async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, data, { mode: 0o600 });
  await rename(temporary, path);
}
